"""`watch INBOX`, the story: two good batches and a bad one dropped into a running watch.

The watch adds each good batch as the next span and runs on it (TINY runs, on a copy
of the tiny data root), moves the bad one aside, and a SIGINT sent while the second
run is under way lets that run finish before the watch ends with status 0. The gates
are open (drift, labels, regression): a model trained one epoch on a thousand digits
is about half right, and what is checked here is the watch, not the gate.
"""

import filecmp
import os
import shutil
import signal
import time

import pytest

from mnist_tfx.app import watch
from tests.support import idx_files
from tests.support.cli_runs import TINY
from tests.support.cli_runs import served_versions
from tests.support.cli_runs import start_cli

pytestmark = pytest.mark.full

OPEN_GATES = ('--label-drift', '1', '--pixel-drift', '1', '--label-agreement-margin', '1',
              '--max-regression', '1')
BATCHES = ('batch-1', 'batch-2', 'batch-3')  # Taken in name order: good, bad, good.


def _wait_for(process, text: str, timeout: float = 600) -> None:
  deadline = time.time() + timeout
  while True:
    with open(process.stdout_path) as f:
      if text in f.read():
        return
    assert not process.ended(), f'the watch ended before {text!r}'
    assert time.time() < deadline, f'no {text!r} after {timeout} s'
    time.sleep(0.2)


@pytest.fixture(scope='module')
def story(tmp_path_factory, tiny_data_root):
  base = tmp_path_factory.mktemp('watch')
  data, inbox, outputs, batches = (base / 'data', base / 'inbox', base / 'outputs',
                                   base / 'batches')
  shutil.copytree(tiny_data_root, data)
  inbox.mkdir()
  images, labels = idx_files.read_split('train', 3 * idx_files.TINY_TRAIN)
  tiny = idx_files.TINY_TRAIN
  idx_files.write_data_root(batches / 'batch-1', {'train': (images[tiny:2 * tiny],
                                                            labels[tiny:2 * tiny])})
  idx_files.write_data_root(batches / 'batch-3', {'train': (images[2 * tiny:],
                                                            labels[2 * tiny:])})
  bad_images, bad_labels = idx_files.BAD_PAIRS['label outside 0-9'][0](
      (images[:300], labels[:300]))
  (batches / 'batch-2').mkdir()
  idx_files.write(batches / 'batch-2' / 'train-images-idx3-ubyte', bad_images)
  idx_files.write(batches / 'batch-2' / 'train-labels-idx1-ubyte', bad_labels)

  process = start_cli('watch', inbox, '--data-root', data, '--output-dir', outputs,
                      '--settle-seconds', '0.5', *TINY, *OPEN_GATES)
  try:
    _wait_for(process, 'watching ')
    for name in BATCHES:
      shutil.copytree(batches / name, inbox / name)
    _wait_for(process, 'run for span 3: starting')
    process.send_signal(signal.SIGINT)  # While the second run is under way.
  finally:
    result = process.result(timeout=900)
  print(result.stdout, result.stderr)  # Shown by pytest when a test fails.
  return {'result': result, 'data': data, 'inbox': inbox, 'outputs': outputs,
          'batches': batches}


def _decisions(stdout: str):
  """The watch's own lines: each starts with the time of day."""
  return [line.split(' ', 1)[1] for line in stdout.splitlines()
          if len(line) > 9 and line[2] == ':' and line[5] == ':' and line[8] == ' ']


def test_each_good_batch_is_added_as_the_next_span(story):
  data = story['data']
  assert sorted(n for n in os.listdir(data) if n.startswith('span-')) == ['span-2', 'span-3']
  for span, batch in (('span-2', 'batch-1'), ('span-3', 'batch-3')):
    names = sorted(os.listdir(data / span))
    assert names == ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']
    assert all(filecmp.cmp(data / span / n, story['batches'] / batch / n, shallow=False)
               for n in names)
  assert sorted(os.listdir(story['inbox'] / watch.DONE)) == ['batch-1', 'batch-3']


def test_the_bad_batch_is_moved_aside_with_why(story):
  rejected = story['inbox'] / watch.REJECTED
  assert os.listdir(rejected) == ['batch-2']
  note = (rejected / 'batch-2' / watch.NOTE).read_text()
  assert 'train-labels-idx1-ubyte.gz: label 10 at record 123' in note
  assert sorted(os.listdir(story['inbox'])) == ['.watch.lock', watch.DONE, watch.REJECTED]


def test_a_run_after_each_good_batch_and_each_push_is_served(story):
  stdout = story['result'].stdout
  # One run per span, each on the newest: its summary says which it trained on.
  assert stdout.count('train spans:   2\n') == 1 and stdout.count('train spans:   3\n') == 1
  logs = os.listdir(story['outputs'] / 'logs')
  assert len([n for n in logs if n.startswith('run-')]) == 2
  assert len([n for n in logs if n.startswith('watch-')]) == 1
  versions = served_versions(story['outputs'])
  assert len(versions) == 2
  decisions = _decisions(stdout)
  assert f'run for span 2: done (exit 0); pushed version {versions[0]}' in decisions
  assert f'run for span 3: done (exit 0); pushed version {versions[1]}' in decisions


def test_sigint_during_a_run_lets_it_finish_then_ends_with_status_0(story):
  result = story['result']
  assert result.returncode == 0
  decisions = _decisions(result.stdout)
  stop = decisions.index('SIGINT: stopping once the run for span 3 has finished')
  assert decisions[stop + 1].startswith('run for span 3: done (exit 0); pushed version ')
  assert decisions[-1] == 'stopped (SIGINT): batches taken 2, rejected 1; runs 2'
  assert result.stdout.splitlines()[-1].endswith(decisions[-1])


def test_every_decision_is_in_the_watch_log_in_order(story):
  result = story['result']
  log_name, = [n for n in os.listdir(story['outputs'] / 'logs') if n.startswith('watch-')]
  logged = (story['outputs'] / 'logs' / log_name).read_text().splitlines()
  assert [line.split(' ', 2)[2] for line in logged] == _decisions(result.stdout)
  order = [next(i for i, line in enumerate(logged) if words in line) for words in (
      'batch-1: added as span 2', 'run for span 2: starting', 'run for span 2: done',
      'batch-2: rejected', 'batch-3: added as span 3', 'run for span 3: done', 'stopped')]
  assert order == sorted(order)
