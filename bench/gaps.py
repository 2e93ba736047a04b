"""The Trainer's gaps in a finished run, read from its log: time in which nothing trained.

Between two epochs, the time between their `Epoch N (S s)` lines (trainer_module/trainer.py)
minus the later epoch's own S; after the last epoch, the time until TFX's `Training
complete` line (the export included). Issue 27 asks for at most 2 s of both per cold run.
Not a test: it never fails on a number.

Usage: .venv/bin/python -m bench.gaps OUTPUTS/logs/run-*.log
"""

import datetime
import json
import re
import sys
from typing import Dict, Optional

_EPOCH = re.compile(r'(\S+ \S+) INFO trainer: Epoch \d+ \(([\d.]+) s\)')
_COMPLETE = re.compile(r'(\S+ \S+) INFO executor: Training complete')


def gaps(log_path: str) -> Dict[str, Optional[float]]:
  """{epochs, between_epochs_s, after_last_epoch_s} of the log's Trainer."""
  epochs, complete = [], None
  with open(log_path) as f:
    for line in f:
      found = _EPOCH.match(line)
      if found:
        epochs.append((_seconds(found.group(1)), float(found.group(2))))
      found = _COMPLETE.match(line)
      if found:
        complete = _seconds(found.group(1))
  between = sum((epochs[i][0] - epochs[i - 1][0]) - epochs[i][1] for i in range(1, len(epochs)))
  after = complete - epochs[-1][0] if epochs and complete is not None else None
  return {'epochs': len(epochs), 'between_epochs_s': round(between, 2),
          'after_last_epoch_s': None if after is None else round(after, 2)}


def _seconds(stamp: str) -> float:
  """The log's timestamp (app/logs.py's format: local time, milliseconds after a comma)."""
  return datetime.datetime.strptime(stamp, '%Y-%m-%d %H:%M:%S,%f').timestamp()


def main(argv) -> int:
  for path in argv:
    print(json.dumps({'log': path, **gaps(path)}))
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv[1:]))
