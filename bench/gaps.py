"""The Trainer's gaps in finished runs, time in which nothing trained: between epochs (the
time between two epochs' log lines beyond the later one's own seconds) and from the last
epoch to the export's start, as bench/processes.py's trainer_clock reads them from each
run's newest log; their sum; and, for scale, the time from the last epoch to TFX's
`Training complete`, the export included. Issue 27 asks for a sum of at most 2 s per cold
run. Not a test: it never fails on a number.

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
                      'before_export_s': _rounded(clock['before_export']),
                      'gaps_s': _rounded(processes.gaps(clock)),
                      'after_last_epoch_s': _rounded(clock['export'])}))
  return 0


def _rounded(seconds):
  return None if seconds is None else round(seconds, 2)


if __name__ == '__main__':
  sys.exit(main(sys.argv[1:]))
