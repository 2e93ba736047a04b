"""Logs go to a file; the terminal shows progress and the end-of-run summary.

TensorFlow, Beam and TFX write to stdout and stderr from Python and from C++, so a run
points both file descriptors at its log file (to_file) before it imports them; the
terminal keeps a copy of the original stdout, and a logging handler (Progress) echoes
to it, and nothing else does:

- each component's start and end, with the seconds since the run started;
- under the Trainer's row, one line per epoch, read from the line the Trainer logs
  (trainer_module/trainer.py's _EpochClock): the epoch out of the total, loss, accuracy,
  validation accuracy, the epoch's seconds, and the time left at that epoch's pace;
- while a component runs, `COMPONENT still running (N s)` after each HEARTBEAT_S seconds
  without a line, so that the long steps (StatisticsGen, Transform, the Evaluator, the
  Pusher and its canary) show they are alive.

The Trainer only logs: under Kubeflow its lines go to the pod's log, and here only the
local run decides what reaches the terminal.

Commands without a log file (history, status, predict, rollback, add-span, and watch
between its runs) send other libraries' output nowhere (others_to_nowhere) while they
print their own; the Kubeflow commands hold it back around the calls that print on their
own (others_held). TF_CPP_MIN_LOG_LEVEL alone is not enough: at 2, TensorFlow's import
still writes its cuFFT, cuDNN and cuBLAS "Unable to register" errors from C++ to file
descriptor 2, and google.api_core's FutureWarning about Python 3.10 is Python's, at any
level; pointing the descriptor elsewhere catches both.
"""

import atexit
import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
import time
from typing import Iterator, Optional, TextIO, Tuple

from mnist_tfx.kubeflow.submit import BackendError
from mnist_tfx.lib.errors import UsageError

# Seconds without a line on the terminal, while a component runs, before it says it is alive.
HEARTBEAT_S = 30.0

_PROGRESS = {'Component %s is running.': 'running', 'Component %s is finished.': 'done'}
# What the Trainer logs (trainer_module/trainer.py): its epochs, once, before the first...
_RECIPE = re.compile(r'Recipe \S+: (\d+) epochs? of batch')
# ...and each epoch: `Epoch 2 (13.1 s): loss 0.05, accuracy 0.98, val_loss ..., lr ...`.
_EPOCH = re.compile(r'Epoch (\d+) \(([\d.]+) s\): (.*)')
# The figures an epoch's terminal line shows, by Keras's name, as the line names them.
_EPOCH_FIGURES = (('loss', 'loss'), ('accuracy', 'accuracy'),
                  ('val_accuracy', 'validation accuracy'))


class Progress(logging.Handler):
  """Echoes component starts and ends and the Trainer's epochs to the terminal, with the
  seconds since it started, and says a running component is alive every heartbeat_s."""

  def __init__(self, terminal: TextIO, heartbeat_s: float = HEARTBEAT_S):
    super().__init__(logging.INFO)
    self._terminal = terminal
    self._heartbeat_s = heartbeat_s
    self._start = time.time()
    self._last_line = self._start
    self._component: Optional[str] = None  # The component running now, if any,
    self._component_start = self._start  # since then.
    self._epochs: Optional[int] = None  # The Trainer's total, once it has said it.
    self._stopped = threading.Event()
    self._heartbeat = threading.Thread(target=self._beat, name='progress-heartbeat',
                                       daemon=True)
    self._heartbeat.start()

  def emit(self, record):
    """Called by logging, with self.lock held."""
    try:
      self._echo(record)
    except Exception:  # pylint: disable=broad-except
      self.handleError(record)  # Into the log file: a bad record must not stop a component.

  def _echo(self, record) -> None:
    word = _PROGRESS.get(record.msg) if isinstance(record.msg, str) else None
    if word and record.args:
      self._component = record.args[0] if word == 'running' else None
      self._component_start = time.time()
      self._write(f'{record.args[0]:<16} {word}')
      return
    message = record.getMessage()
    recipe = _RECIPE.search(message)
    if recipe:
      self._epochs = int(recipe.group(1))
    epoch = _EPOCH.match(message)
    if epoch:
      self._write('  ' + self._epoch_line(int(epoch.group(1)), float(epoch.group(2)),
                                          epoch.group(3)))

  def stop(self) -> None:
    """Ends the heartbeat and the echo: the summary follows."""
    self._stopped.set()
    self._heartbeat.join()
    logging.getLogger().removeHandler(self)

  def _epoch_line(self, number: int, seconds: float, figures: str) -> str:
    values = dict(pair.rsplit(' ', 1) for pair in figures.split(', ') if ' ' in pair)
    shown = ', '.join(f'{label} {float(values[name]):.4f}'
                      for name, label in _EPOCH_FIGURES if name in values)
    if self._epochs is None:
      return f'epoch {number}: {shown} ({seconds:.1f} s)'
    # At this epoch's pace: after the first, which also traces the graph, a steadier one.
    left = max(0, self._epochs - number) * seconds
    return (f'epoch {number}/{self._epochs}: {shown} '
            f'({seconds:.1f} s, about {_duration(left)} left)')

  def _beat(self) -> None:
    while not self._stopped.wait(min(1.0, self._heartbeat_s / 10)):
      with self.lock:
        now = time.time()
        if self._component and now - self._last_line >= self._heartbeat_s:
          self._write(f'  {self._component} still running '
                      f'({_duration(now - self._component_start)})')

  def _write(self, text: str) -> None:
    self._last_line = time.time()
    self._terminal.write(f'[{self._last_line - self._start:6.1f}s] {text}\n')
    self._terminal.flush()


def _duration(seconds: float) -> str:
  """45 s, or 3 min 05 s."""
  seconds = round(seconds)
  if seconds < 60:
    return f'{seconds} s'
  return f'{seconds // 60} min {seconds % 60:02d} s'


def to_file(log_dir: str) -> Tuple[str, TextIO]:
  """Sends stdout, stderr and logging to a new file; returns its path and the terminal."""
  from absl import logging as absl_logging  # pylint: disable=g-import-not-at-top

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
  for handler in root.handlers[:]:  # absl's, or basicConfig's: each line once, in one format.
    root.removeHandler(handler)
  to_log = logging.StreamHandler(sys.stderr)
  to_log.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(module)s: %(message)s'))
  root.addHandler(to_log)
  root.setLevel(logging.INFO)
  absl_logging.set_verbosity(absl_logging.INFO)
  return path, terminal


def show_progress(terminal: TextIO) -> Progress:
  """Starts echoing the run's progress to the terminal; stop() it before the summary."""
  progress = Progress(terminal)
  logging.getLogger().addHandler(progress)
  return progress


@contextlib.contextmanager
def others_to_nowhere() -> Iterator[None]:
  """For a command without a log file: other libraries' warnings and logs go nowhere, from
  Python or from C++; what we print, to stdout or sys.stderr, still reaches the terminal.

  File descriptor 2, where C++ writes, points at /dev/null; sys.stderr at a copy of the
  terminal; Python's warnings and logging, which would write to sys.stderr, at a handler
  that drops them (and with one on the root logger, neither absl nor TensorFlow adds its
  own). When a caller has replaced sys.stderr (a test capturing a command), it is left as is.
  """
  if sys.stderr is not sys.__stderr__:
    yield
    return
  sys.stderr.flush()
  terminal = os.fdopen(os.dup(2), 'w', buffering=1)
  nowhere = os.open(os.devnull, os.O_WRONLY)
  os.dup2(nowhere, 2)
  os.close(nowhere)
  root = logging.getLogger()
  handlers = root.handlers[:]
  root.handlers = [logging.NullHandler()]
  logging.captureWarnings(True)
  sys.stderr = terminal
  try:
    yield
  finally:
    sys.stderr = sys.__stderr__
    logging.captureWarnings(False)
    root.handlers = handlers
    terminal.flush()
    os.dup2(terminal.fileno(), 2)
    terminal.close()


@contextlib.contextmanager
def others_held() -> Iterator[None]:
  """For a library call that prints as well as logs (the Kubeflow commands' compile, kfp's
  client and `Run details:`, the Kubernetes client's urllib3 retries): everything written
  to stdout and stderr, from Python or C++, is held back, since a print of theirs and one
  of ours cannot be told apart. The command prints its own lines outside, and its errors
  after it ends. On a bug (anything but the user's errors) what was held back goes to
  stderr before the traceback, which needs it.
  """
  sys.stdout.flush()
  sys.stderr.flush()
  terminal_out, terminal_err = os.dup(1), os.dup(2)
  with tempfile.TemporaryFile() as held:
    os.dup2(held.fileno(), 1)
    os.dup2(held.fileno(), 2)
    try:
      yield
    except (BackendError, UsageError):  # One line of ours says what went wrong.
      raise
    except BaseException:
      sys.stdout.flush()
      sys.stderr.flush()
      held.seek(0)
      os.write(terminal_err, held.read())
      raise
    finally:
      sys.stdout.flush()
      sys.stderr.flush()
      os.dup2(terminal_out, 1)
      os.dup2(terminal_err, 2)
      os.close(terminal_out)
      os.close(terminal_err)
