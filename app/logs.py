"""Logs go to a file; the terminal shows progress and the end-of-run summary.

TensorFlow, Beam and TFX write to stdout and stderr from Python and from C++, so
both file descriptors are pointed at the log file; the terminal keeps a copy of
the original stdout, and a logging handler echoes component starts and ends to it.
"""

import atexit
import logging
import os
import sys
import time
from typing import TextIO, Tuple

from absl import logging as absl_logging

_PROGRESS = {'Component %s is running.': 'running', 'Component %s is finished.': 'done'}


class _ProgressHandler(logging.Handler):
  """Echoes LocalDagRunner's component start and end lines, with elapsed time."""

  def __init__(self, terminal: TextIO):
    super().__init__(logging.INFO)
    self._terminal = terminal
    self._start = time.time()

  def emit(self, record):
    word = _PROGRESS.get(record.msg)
    if word and record.args:
      elapsed = time.time() - self._start
      self._terminal.write(f'[{elapsed:6.1f}s] {record.args[0]:<16} {word}\n')
      self._terminal.flush()


def to_file(log_dir: str) -> Tuple[str, TextIO]:
  """Sends stdout, stderr and logging to a new file; returns its path and the terminal."""
  os.makedirs(log_dir, exist_ok=True)
  path = os.path.join(log_dir, time.strftime('run-%Y%m%d-%H%M%S.log'))
  sys.stdout.flush()
  sys.stderr.flush()
  terminal = os.fdopen(os.dup(1), 'w', buffering=1)
  atexit.register(terminal.flush)  # However the process leaves (lib/process_exit.py).
  log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
  os.dup2(log_fd, 1)
  os.dup2(log_fd, 2)
  os.close(log_fd)
  root = logging.getLogger()
  root.removeHandler(absl_logging.get_absl_handler())
  to_log = logging.StreamHandler(sys.stderr)
  to_log.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(module)s: %(message)s'))
  root.addHandler(to_log)
  root.addHandler(_ProgressHandler(terminal))
  root.setLevel(logging.INFO)
  absl_logging.set_verbosity(absl_logging.INFO)
  return path, terminal
