"""`watch`: when a batch is complete, what is not a batch, bad batches, stopping, refusals.

No pipeline run here: Settling on a clock of the test's own, and the command itself in a
fresh process, given only batches it refuses (tests/app/test_watch.py runs the story).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from mnist_tfx.app import run_lock
from mnist_tfx.app import watch
from tests.support import idx_files
from tests.support.folders import snapshot
from tests.support.fresh import run_fresh

SETTLE = 5.0  # Seconds on the test's clock.


class Clock:
  def __init__(self):
    self.now = 1000.0

  def __call__(self):
    return self.now


def _batch(folder, count=20, start=0, t10k=False):
  images, labels = idx_files.read_split('train', start + count)
  arrays = {'train': (images[start:], labels[start:])}
  if t10k:
    arrays['eval'] = idx_files.read_split('eval', count)
  idx_files.write_data_root(folder, arrays)
  return folder


@pytest.fixture
def inbox(tmp_path):
  folder = tmp_path / 'inbox'
  folder.mkdir()
  return folder


def test_a_batch_is_complete_once_unchanged_for_the_settle_time(inbox):
  clock = Clock()
  settling = watch.Settling(str(inbox), SETTLE, clock)
  _batch(inbox / 'b1')
  assert settling.complete() == []  # First seen now.
  clock.now += SETTLE - 0.1
  assert settling.complete() == []
  clock.now += 0.1
  assert settling.complete() == ['b1']


@pytest.mark.parametrize('change', ['append', 'touch', 'new file', 'new folder', 'remove'])
def test_any_change_to_its_files_starts_the_wait_again(inbox, change):
  clock = Clock()
  settling = watch.Settling(str(inbox), SETTLE, clock)
  images = _batch(inbox / 'b1') / 'train-images-idx3-ubyte.gz'
  settling.complete()
  clock.now += SETTLE - 1
  if change == 'append':  # A copy still writing: the size grows.
    with open(images, 'ab') as f:
      f.write(b'\0')
  elif change == 'touch':  # Same size, newer time: a copier rewriting a block.
    info = os.stat(images)
    os.utime(images, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
  elif change == 'new file':  # The labels arriving after the images.
    (inbox / 'b1' / 't10k-images-idx3-ubyte.gz').write_bytes(b'')
  elif change == 'new folder':
    (inbox / 'b1' / 'more').mkdir()
  else:
    images.unlink()
  assert settling.complete() == []
  clock.now += SETTLE - 0.1
  assert settling.complete() == []
  clock.now += 0.1
  assert settling.complete() == ['b1']


def test_an_empty_folder_is_never_complete(inbox):
  clock = Clock()
  settling = watch.Settling(str(inbox), SETTLE, clock)
  (inbox / 'b1').mkdir()
  settling.complete()
  clock.now += 10 * SETTLE
  assert settling.complete() == []


def test_only_visible_folders_are_batches_and_they_come_in_name_order(inbox):
  clock = Clock()
  settling = watch.Settling(str(inbox), SETTLE, clock)
  for name in ('b2', 'b10', 'b1', '.copying', watch.DONE, watch.REJECTED):
    _batch(inbox / name)
  idx_files.write(inbox / 'train-images-idx3-ubyte', b'loose')  # Not in a batch folder.
  settling.complete()
  clock.now += SETTLE
  assert settling.complete() == ['b1', 'b10', 'b2']


def test_a_batch_to_try_again_waits_another_settle_time(inbox):
  clock = Clock()
  settling = watch.Settling(str(inbox), SETTLE, clock)
  _batch(inbox / 'b1')
  settling.complete()
  clock.now += SETTLE
  assert settling.complete() == ['b1']
  settling.wait_again('b1')
  assert settling.complete() == []
  clock.now += SETTLE
  assert settling.complete() == ['b1']


def test_a_batch_taken_away_and_brought_again_waits_again(inbox):
  clock = Clock()
  settling = watch.Settling(str(inbox), SETTLE, clock)
  _batch(inbox / 'b1')
  settling.complete()
  clock.now += SETTLE
  os.rename(inbox / 'b1', inbox / 'elsewhere')
  assert settling.complete() == []  # 'elsewhere' is new.
  os.rename(inbox / 'elsewhere', inbox / 'b1')
  assert settling.complete() == []
  clock.now += SETTLE
  assert settling.complete() == ['b1']


# The command, in a fresh process (what it imports, it imports for real).


class Watching:
  """`mnist-pipeline watch ARGS` started fresh, its stdout in a file."""

  def __init__(self, folder, *args):
    self.out_path = folder / 'watch.out'
    with open(self.out_path, 'w') as out:
      self.process = subprocess.Popen(
          [sys.executable, '-m', 'mnist_tfx.app.cli', 'watch', *map(str, args)],
          stdout=out, stderr=subprocess.PIPE, text=True, cwd=folder)

  def output(self) -> str:
    return self.out_path.read_text()

  def wait_for(self, text: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while text not in self.output():
      assert self.process.poll() is None, self.output() + self.process.stderr.read()
      assert time.time() < deadline, f'no {text!r} in:\n{self.output()}'
      time.sleep(0.05)

  def stop(self, number=signal.SIGINT, timeout: float = 10) -> tuple:
    """(exit status, seconds from the signal to the end, stderr)."""
    start = time.time()
    self.process.send_signal(number)
    status = self.process.wait(timeout)
    return status, time.time() - start, self.process.stderr.read()


@pytest.fixture
def world(tmp_path, tiny_data_root):
  shutil.copytree(tiny_data_root, tmp_path / 'data')
  (tmp_path / 'inbox').mkdir()
  return tmp_path


def test_bad_batches_are_moved_aside_with_a_note_and_the_watch_goes_on(world):
  data_before = snapshot(world / 'data')
  watching = Watching(world, 'inbox', '--data-root', 'data', '--output-dir', 'outputs',
                      '--settle-seconds', '0.3')
  watching.wait_for('watching inbox')
  # Truncated images: add-span's reading of every record finds it.
  images, labels = idx_files.read_split('train', 300)
  bad_images, bad_labels = idx_files.BAD_PAIRS['truncated images'][0]((images, labels))
  (world / 'inbox' / 'truncated').mkdir()
  idx_files.write(world / 'inbox' / 'truncated' / 'train-images-idx3-ubyte', bad_images)
  idx_files.write(world / 'inbox' / 'truncated' / 'train-labels-idx1-ubyte', bad_labels)
  watching.wait_for('truncated: rejected')
  # Test digits alone: no training pair. Taken after the first: the watch went on.
  _batch(world / 'test-digits-only', t10k=True)
  os.remove(world / 'test-digits-only' / 'train-images-idx3-ubyte.gz')
  os.remove(world / 'test-digits-only' / 'train-labels-idx1-ubyte.gz')
  shutil.move(world / 'test-digits-only', world / 'inbox')
  watching.wait_for('test-digits-only: rejected')
  status, _, stderr = watching.stop()
  assert status == 0 and stderr == ''
  rejected = world / 'inbox' / watch.REJECTED
  assert sorted(os.listdir(rejected)) == ['test-digits-only', 'truncated']
  note = (rejected / 'truncated' / watch.NOTE).read_text()
  assert 'train-images-idx3-ubyte.gz: truncated' in note
  note = (rejected / 'test-digits-only' / watch.NOTE).read_text()
  assert 'no train-images-idx3-ubyte[.gz] / train-labels-idx1-ubyte[.gz] pair' in note
  assert sorted(os.listdir(rejected / 'truncated')) == [
      watch.NOTE, 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']
  assert snapshot(world / 'data') == data_before  # No span added.
  assert not os.path.exists(world / 'outputs' / 'serving')  # No run.
  lines = watching.output().splitlines()
  assert lines[-1].endswith('stopped (SIGINT): batches taken 0, rejected 2; runs 0')
  # The log file holds the same decisions, dated.
  log, = os.listdir(world / 'outputs' / 'logs')
  logged = (world / 'outputs' / 'logs' / log).read_text().splitlines()
  assert [line.split(' ', 2)[2] for line in logged] == [line.split(' ', 1)[1] for line in lines]


def test_what_is_not_a_batch_is_said_once_and_left_alone(world):
  (world / 'inbox' / 'notes.txt').write_text('hello\n')
  (world / 'inbox' / '.copying').mkdir()
  (world / 'inbox' / 'empty').mkdir()
  watching = Watching(world, 'inbox', '--data-root', 'data', '--output-dir', 'outputs',
                      '--settle-seconds', '0.2')
  watching.wait_for('notes.txt: not in a batch folder, left alone')
  time.sleep(1)  # Five settle times: the empty folder is waited for, never taken.
  status, _, _ = watching.stop()
  assert status == 0
  output = watching.output()
  assert output.count('notes.txt') == 1 and output.count('empty: arrived') == 1
  assert '.copying' not in output and 'rejected' not in output.replace('rejected 0', '')
  assert sorted(os.listdir(world / 'inbox')) == ['.copying', '.watch.lock', 'empty', 'notes.txt']


@pytest.mark.parametrize('number', [signal.SIGINT, signal.SIGTERM])
def test_a_signal_between_runs_ends_it_at_once_with_one_line(world, number):
  watching = Watching(world, 'inbox', '--data-root', 'data', '--output-dir', 'outputs')
  watching.wait_for('watching inbox')
  before = watching.output()
  status, seconds, stderr = watching.stop(number)
  assert status == 0 and stderr == ''
  assert seconds < 3  # One poll (at most a second), and the exit.
  new = watching.output()[len(before):].splitlines()
  name = signal.Signals(number).name
  assert new[-1].endswith(f'stopped ({name}): batches taken 0, rejected 0; runs 0')


def test_a_second_watch_of_the_same_inbox_is_refused(world):
  watching = Watching(world, 'inbox', '--data-root', 'data', '--output-dir', 'outputs')
  watching.wait_for('watching inbox')
  second = subprocess.run(
      [sys.executable, '-m', 'mnist_tfx.app.cli', 'watch', 'inbox', '--data-root', 'data',
       '--output-dir', 'other'], cwd=world, capture_output=True, text=True, timeout=60,
      check=False)
  watching.stop()
  assert second.returncode == 1 and second.stdout == ''
  assert second.stderr.startswith(f'error: inbox is watched already, by pid '
                                  f'{watching.process.pid} (since ')
  assert second.stderr.count('\n') == 1


REFUSALS = [
    (('missing',), 2, "error: INBOX 'missing': does not exist or is not a folder"),
    (('notes.txt',), 2, "error: INBOX 'notes.txt': does not exist or is not a folder"),
    (('inbox', '--settle-seconds', '0'), 2, 'error: --settle-seconds 0.0: must be a number '
     'more than 0 s. Nothing was run.'),
    (('inbox', '--settle-seconds', 'nan'), 2, "error: --settle-seconds nan: must be a number"),
    (('inbox', '--settle-seconds', 'soon'), 2, "error: argument --settle-seconds: invalid "
     "float value: 'soon'"),
    (('inbox', '--output-dir', 'inbox/outputs'), 2, "error: --output-dir 'inbox/outputs': must "
     "be apart from INBOX 'inbox', neither inside it nor holding it"),
    (('inbox', '--data-root', '.'), 2, "error: --data-root '.': must be apart from INBOX"),
    (('inbox', '--epochs', '-3'), 2, "error: --epochs -3: must be a whole number of at least 0"),
    (('inbox', '--data-root', 'no-data'), 2, 'error: bad input data: no-data: does not exist '
     'or is not a folder. Nothing was run.'),
]


def test_a_refusal_is_one_line_with_the_exit_status_and_nothing_made_or_imported(tmp_path):
  """Every bad option or path of `watch`: one line, exit 2, nothing written, checked before
  TFX or TensorFlow is imported (a fresh interpreter, as the command starts)."""
  (tmp_path / 'inbox').mkdir()
  (tmp_path / 'notes.txt').write_text('hello\n')
  script = (
      'import contextlib, io, json, sys\n'
      'from mnist_tfx.app import cli\n'
      'found = []\n'
      f'for argv in {[list(argv) for argv, _, _ in REFUSALS]!r}:\n'
      '  err = io.StringIO()\n'
      '  with contextlib.redirect_stderr(err):\n'
      '    try:\n'
      '      status = cli.main(["watch", *argv])\n'
      '    except SystemExit as e:\n'
      '      status = e.code\n'
      '  found.append([status, err.getvalue()])\n'
      'print(json.dumps(found))\n')
  result, imported = run_fresh(script, cwd=tmp_path)
  found = json.loads(result.stdout)
  for (argv, status, line), (got_status, got_err) in zip(REFUSALS, found):
    assert got_status == status, (argv, got_err)
    assert got_err.startswith(line) and got_err.count('\n') == 1, (argv, got_err)
  assert imported == []
  assert sorted(os.listdir(tmp_path)) == ['inbox', 'notes.txt']
  assert os.listdir(tmp_path / 'inbox') == []


def test_a_batch_waits_for_a_data_root_that_cannot_take_it_and_its_run_for_a_busy_folder(
    world):
  """Neither is the batch's fault: it is not rejected. The stop names the span not run."""
  watching = Watching(world, 'inbox', '--data-root', 'data', '--output-dir', 'outputs',
                      '--settle-seconds', '0.3')
  watching.wait_for('watching inbox')
  (world / 'data' / 'span-x').mkdir()  # Not a span folder: add-span cannot list the spans.
  with run_lock.hold(str(world / 'outputs')):  # A `run` started by hand.
    _batch(world / 'inbox' / 'b1', count=100, start=1000)
    watching.wait_for('b1: could not be added, tried again in 0.3 s: data/span-x: not a span')
    assert os.listdir(world / 'inbox' / 'b1')  # Still there, not rejected.
    os.rmdir(world / 'data' / 'span-x')
    watching.wait_for('b1: added as span 2 (data/span-2)')
    watching.wait_for('run for span 2: waits, outputs is in use by another process')
    time.sleep(1)  # Several polls: said once, and no run starts.
    status, _, stderr = watching.stop()
  assert status == 0 and stderr == ''
  lines = [line.split(' ', 1)[1] for line in watching.output().splitlines()]
  assert lines.count('run for span 2: waits, outputs is in use by another process') == 1
  assert 'run for span 2: starting' not in lines
  assert lines[-3:] == [
      'SIGINT: stopping',
      'span 2 was added but not run: `mnist-pipeline run` with the same options runs it',
      'stopped (SIGINT): batches taken 1, rejected 0; runs 0']
  assert os.listdir(world / 'inbox' / watch.DONE) == ['b1']
  assert not os.path.exists(world / 'outputs' / 'serving')
