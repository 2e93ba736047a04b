"""The Trainer's gaps in finished runs, time in which nothing trained: between epochs (the
time between two epochs' log lines beyond the later one's own seconds) and after the last
epoch until TFX's `Training complete` (the export included), as bench/processes.py's
trainer_clock reads them from each run's newest log. Issue 27 asks for at most 2 s of
both per cold run. Not a test: it never fails on a number.

Usage: .venv/bin/python -m bench.gaps OUTPUT_DIR...
"""

import json
import sys

from bench import processes


def main(argv) -> int:
  for output_dir in argv:
    clock = processes.trainer_clock(output_dir)
    print(json.dumps({'output_dir': output_dir, 'epochs': clock['epochs'],
                      'between_epochs_s': _rounded(clock['between_epochs']),
                      'after_last_epoch_s': _rounded(clock['export'])}))
  return 0


def _rounded(seconds):
  return None if seconds is None else round(seconds, 2)


if __name__ == '__main__':
  sys.exit(main(sys.argv[1:]))
