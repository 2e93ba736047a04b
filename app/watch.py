"""mnist-pipeline watch INBOX: continuous retraining on one machine.

A batch is a sub-folder of INBOX holding train-images-idx3-ubyte[.gz] and
train-labels-idx1-ubyte[.gz], and optionally a t10k-* pair, as `add-span` takes it.
It is complete when none of its files has changed (names, sizes, modification times)
for --settle-seconds: a copy still under way keeps changing them. Hidden names
(.name) are never taken, so a batch copied as .name and renamed is never seen half
copied. Each complete batch, in name order, is read through add-span's checks and
added as the next span, then a run starts with the watch's own run options; the
next batch waits for that run. A taken batch moves to INBOX/done/, a bad one to
INBOX/rejected/ with REJECTED.txt saying why; neither is taken again after a restart.

Each run is `run` in a child process forked for it (app/local_run.py): its own log
file, its terminal lines and summary, the output folder's lock (a second run on it
waits), and nothing of it left in the watch. SIGINT and SIGTERM stop the watch at
once between runs, or once the run under way has finished: the child ignores both,
so that a Ctrl-C, which the terminal sends to every process of the group, does not
cut the run short. Every decision is one line on the terminal and in
logs/watch-<time>.log under the output folder. Imports neither TFX nor TensorFlow:
each run's child does.
"""

import fcntl
import os
import signal
import sys
import time
import traceback
from typing import Dict, List, Optional, Tuple

from mnist_tfx.app import run_lock
from mnist_tfx.app.exit_codes import EXIT_BAD_DATA
from mnist_tfx.app.exit_codes import EXIT_CANARY_FAILED
from mnist_tfx.app.exit_codes import EXIT_FAILED
from mnist_tfx.app.exit_codes import EXIT_NOT_BLESSED
from mnist_tfx.app.exit_codes import EXIT_OK
from mnist_tfx.lib.errors import DataError
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs

DONE = 'done'
REJECTED = 'rejected'
NOTE = 'REJECTED.txt'  # In a rejected batch: why.
LOCK_FILE = '.watch.lock'  # In INBOX: one watch per inbox, or two would take one batch.
# How often INBOX is listed: often enough that a stop between runs is at once, rarely
# enough to cost nothing (one listing and a stat per file). A short settle time (tests)
# polls faster, so that a batch is taken about when it has settled.
LONGEST_POLL_SECONDS = 1.0
# The child's status when the output folder is held by another process (a `run` or a
# `rollback` started by hand): the span stays added, and its run starts once it is free.
_BUSY = 75  # EX_TEMPFAIL of sysexits.h: try again later.
_OUTCOMES = {EXIT_OK: 'done', EXIT_FAILED: 'failed', EXIT_BAD_DATA: 'stopped on bad input data',
             EXIT_NOT_BLESSED: 'not blessed', EXIT_CANARY_FAILED: 'blessed, failed the canary'}

Snapshot = Tuple[Tuple[str, int, int], ...]


def snapshot(folder: str) -> Snapshot:
  """(path relative to folder, size, modification time in ns) of everything under it."""
  found = []
  for root, folders, names in os.walk(folder):
    for name in folders + names:
      path = os.path.join(root, name)
      try:
        info = os.lstat(path)
      except FileNotFoundError:
        continue  # Moved or removed while listed: the next listing differs anyway.
      found.append((os.path.relpath(path, folder), info.st_size, info.st_mtime_ns))
  return tuple(sorted(found))


class Settling:
  """Which batches of an inbox are complete: unchanged for settle_seconds, and not empty.

  clock: seconds, steadily rising (time.monotonic; a test's own).
  """

  def __init__(self, inbox: str, settle_seconds: float, clock=time.monotonic):
    self._inbox = inbox
    self._settle_seconds = settle_seconds
    self._clock = clock
    self._seen: Dict[str, Tuple[Snapshot, float]] = {}  # name -> (snapshot, unchanged since)

  def batches(self) -> List[str]:
    """The names of INBOX's batch folders: not hidden, not done/ or rejected/."""
    return sorted(name for name in os.listdir(self._inbox)
                  if not name.startswith('.') and name not in (DONE, REJECTED) and
                  os.path.isdir(os.path.join(self._inbox, name)))

  def complete(self) -> List[str]:
    """The batches that have not changed for settle_seconds, in name order."""
    now = self._clock()
    names = self.batches()
    self._seen = {name: seen for name, seen in self._seen.items() if name in names}
    ready = []
    for name in names:
      current = snapshot(os.path.join(self._inbox, name))
      seen = self._seen.get(name)
      if seen is None or seen[0] != current:
        self._seen[name] = (current, now)
      elif current and now - seen[1] >= self._settle_seconds:
        ready.append(name)
    return ready

  def wait_again(self, name: str) -> None:
    """Forgets that `name` had settled: it is taken after another settle_seconds."""
    self._seen.pop(name, None)


class _Decisions:
  """One line per decision: on the terminal (time of day) and in the log file (date too).

  os.write, not Python's buffered files: the signal handler writes too, and may run in
  the middle of another line's write.
  """

  def __init__(self, log_path: str):
    self.log_path = log_path
    self._log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

  def say(self, line: str) -> None:
    now = time.localtime()
    os.write(sys.stdout.fileno(), f'{time.strftime("%H:%M:%S", now)} {line}\n'.encode())
    os.write(self._log, f'{time.strftime("%Y-%m-%d %H:%M:%S", now)} {line}\n'.encode())


class _Stop:
  """Set by SIGINT or SIGTERM; the watch ends at its next decision point."""

  def __init__(self, decisions: _Decisions):
    self.signal_name: Optional[str] = None
    self.running: Optional[str] = None  # The run under way, if one is.
    self._decisions = decisions

  def __call__(self, number, frame) -> None:
    del frame
    first = self.signal_name is None
    self.signal_name = signal.Signals(number).name
    if self.running:
      self._decisions.say(f'{self.signal_name}: stopping once the {self.running} has finished')
    elif first:
      self._decisions.say(f'{self.signal_name}: stopping')


def watch(inbox: str, config: configs.PipelineConfig, settle_seconds: float) -> int:
  """Takes INBOX's complete batches one by one, a run after each, until SIGINT or SIGTERM.

  Raises DataError for a data root that a run could not read, UsageError for an output
  folder that cannot be written or an inbox another watch holds.
  """
  from mnist_tfx.app import preflight  # pylint: disable=g-import-not-at-top
  preflight.check_layout(config)  # Before anything is written, as `run` does.
  preflight.check_output_dir(config.output_dir)
  with open(os.path.join(inbox, LOCK_FILE), 'a+') as lock:
    try:
      fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      lock.seek(0)
      holder = lock.read().strip() or 'another process'
      raise UsageError(f'{inbox} is watched already, by {holder}') from None
    lock.truncate(0)
    lock.write(f'pid {os.getpid()} (since {time.strftime("%Y-%m-%d %H:%M:%S")})')
    lock.flush()
    os.makedirs(config.log_dir, exist_ok=True)
    decisions = _Decisions(os.path.join(config.log_dir,
                                        time.strftime('watch-%Y%m%d-%H%M%S.log')))
    return _Watch(inbox, config, settle_seconds, decisions).loop()


class _Watch:
  """The loop and its counts; one instance per `watch` command."""

  def __init__(self, inbox: str, config: configs.PipelineConfig, settle_seconds: float,
               decisions: _Decisions):
    self.inbox = inbox
    self.config = config
    self.settle_seconds = settle_seconds
    self.settling = Settling(inbox, settle_seconds)
    self.decisions = decisions
    self.stop = _Stop(decisions)
    self.counts = {'taken': 0, 'rejected': 0, 'runs': 0}
    self.announced = set()  # The inbox's names already said to be waiting or left alone.
    self.said_busy = False  # That the pending run waits for the output folder.

  def loop(self) -> int:
    for number in (signal.SIGINT, signal.SIGTERM):
      signal.signal(number, self.stop)
    self.say(f'watching {self.inbox} (a batch is taken once unchanged for '
             f'{self.settle_seconds:g} s); spans into {self.config.data_root}, runs into '
             f'{self.config.output_dir}; log {self.decisions.log_path}')
    pending = None  # The span whose run has not started yet (the output folder was busy).
    poll = min(LONGEST_POLL_SECONDS, self.settle_seconds / 2)
    while self.stop.signal_name is None:
      if pending is None:
        pending = self._take_one()
      if pending is not None and self.stop.signal_name is None and self._run(pending):
        pending = None
        continue  # The next batch may have settled during the run.
      time.sleep(poll)
    if pending is not None:
      self.say(f'span {pending} was added but not run: `mnist-pipeline run` with the same '
               'options runs it')
    self.say(f'stopped ({self.stop.signal_name}): batches taken {self.counts["taken"]}, '
             f'rejected {self.counts["rejected"]}; runs {self.counts["runs"]}')
    return EXIT_OK

  def say(self, line: str) -> None:
    self.decisions.say(line)

  def _take_one(self) -> Optional[int]:
    """Adds the first complete batch as the next span; its number, or None if none was."""
    self._announce_arrivals()
    for name in self.settling.complete():
      span = self._take(name)
      if span is not None or self.stop.signal_name is not None:
        return span
    return None

  def _announce_arrivals(self) -> None:
    names = set(os.listdir(self.inbox)) - {DONE, REJECTED}
    self.announced &= names  # A name used again later is news again.
    for name in sorted(names - self.announced):
      if name.startswith('.'):
        continue
      self.announced.add(name)
      if os.path.isdir(os.path.join(self.inbox, name)):
        self.say(f'{name}: arrived; taken once its files have not changed for '
                 f'{self.settle_seconds:g} s')
      else:
        self.say(f'{name}: not in a batch folder, left alone (a batch is a folder of IDX '
                 'files inside the inbox)')

  def _take(self, name: str) -> Optional[int]:
    """add_span's checks and copy; the batch then moves to done/, or to rejected/ if bad."""
    from mnist_tfx.lib import spans  # pylint: disable=g-import-not-at-top
    batch = os.path.join(self.inbox, name)
    try:
      span = spans.add_span(batch, self.config.data_root)
    except (DataError, OSError) as e:
      # The error names the file: in the batch, the batch is bad; elsewhere (the data root,
      # a full disk, a span added meanwhile) it is not, and it is tried again.
      path = e.path if isinstance(e, DataError) else e.filename or self.config.data_root
      if not _inside(str(path), batch):
        self.say(f'{name}: could not be added, tried again in {self.settle_seconds:g} s: {e}')
        self.settling.wait_again(name)
        return None
      moved = _move(batch, os.path.join(self.inbox, REJECTED))
      with open(os.path.join(moved, NOTE), 'w') as note:
        note.write(f'{time.strftime("%Y-%m-%d %H:%M:%S")} rejected by mnist-pipeline watch, '
                   f'not added as a span:\n{e}\n')
      self.counts['rejected'] += 1
      self.say(f'{name}: rejected, moved to {moved} ({NOTE} says why): {e}')
      return None
    moved = _move(batch, os.path.join(self.inbox, DONE))
    self.counts['taken'] += 1
    self.say(f'{name}: added as span {span.number} ({span.folder}); moved to {moved}')
    return span.number

  def _run(self, span: int) -> bool:
    """One run in a child process; False if the output folder is busy (run it later)."""
    what = f'run for span {span}'
    try:
      with run_lock.hold(self.config.output_dir):
        pass  # Free now: the child takes it (a race lost is _BUSY below).
      if self.said_busy:
        self.say(f'{what}: {self.config.output_dir} is free again')
      self.say(f'{what}: starting')
      versions = _versions(self.config.serving_dir)
      self.stop.running = what
      status = _run_in_child(self.config)
      self.stop.running = None
    except run_lock.Busy:
      status = _BUSY
    if status == _BUSY:
      if not self.said_busy:
        self.say(f'{what}: waits, {self.config.output_dir} is in use by another process')
      self.said_busy = True
      return False
    self.said_busy = False
    self.counts['runs'] += 1
    pushed = [v for v in _versions(self.config.serving_dir) if v not in versions]
    outcome = _OUTCOMES.get(status, f'ended by signal {-status}' if status < 0 else 'failed')
    self.say(f'{what}: {outcome} (exit {status}); ' +
             (f'pushed version {", ".join(pushed)}' if pushed else 'nothing new pushed'))
    return True


def _run_in_child(config: configs.PipelineConfig) -> int:
  """`run` with this configuration, in a forked child; its exit status (-N: signal N)."""
  sys.stdout.flush()
  sys.stderr.flush()
  pid = os.fork()
  if pid == 0:
    _child(config)
  _, status = os.waitpid(pid, 0)  # Resumed after a signal's handler (PEP 475).
  return os.waitstatus_to_exitcode(status)


def _child(config: configs.PipelineConfig):
  """The run, then the child's end; as cli.main maps errors to one line and a status."""
  # pylint: disable=g-import-not-at-top
  from mnist_tfx.app import local_run
  from mnist_tfx.lib.process_exit import exit_now
  # pylint: enable=g-import-not-at-top
  for number in (signal.SIGINT, signal.SIGTERM):
    signal.signal(number, signal.SIG_IGN)
  status = EXIT_FAILED
  try:
    status = local_run.run(config)
  except DataError as e:
    print(f'error: bad input data: {e}. Nothing was run.', file=sys.stderr)
    status = EXIT_BAD_DATA
  except run_lock.Busy:
    status = _BUSY
  except UsageError as e:
    print(f'error: {e}. Nothing was run.', file=sys.stderr)
  except BaseException:  # pylint: disable=broad-except (a bug: its traceback, in this child)
    traceback.print_exc()
  exit_now(status)


def _versions(serving_dir: str) -> List[str]:
  """The numbered version folders of a local serving directory. lib/serving_dir.py's own
  listing imports TFX's file layer (TensorFlow): not in the watch."""
  if not os.path.isdir(serving_dir):
    return []
  return sorted(name for name in os.listdir(serving_dir) if name.isdigit())


def _inside(path: str, folder: str) -> bool:
  folder = os.path.abspath(folder)
  return os.path.commonpath([os.path.abspath(path), folder]) == folder


def _move(batch: str, into: str) -> str:
  """Renames batch into `into`, as batch-2, batch-3 ... if its name is taken there."""
  os.makedirs(into, exist_ok=True)
  name = os.path.basename(batch)
  target, n = os.path.join(into, name), 1
  while os.path.exists(target):
    n += 1
    target = os.path.join(into, f'{name}-{n}')
  os.rename(batch, target)
  return target
