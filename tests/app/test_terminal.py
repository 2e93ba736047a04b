"""What reaches the terminal: our progress and our lines, nothing of other libraries'.

The commands run in fresh processes, in a user's environment (cli_runs.as_a_user):
TensorFlow's import writes its noise once per process, which a process forked warm
(tests/support/zygote.py) has already paid. The units of app/logs.py ride along here.
"""

import io
import logging
import re
import shutil
import subprocess
import sys
import time

import pytest
from PIL import Image

from tests.support import idx_files
from tests.support.cli_runs import TINY
from tests.support.cli_runs import as_a_user
from tests.support.cli_runs import served_versions

pytestmark = pytest.mark.full

_STAMP = r'\[ *\d+\.\ds\] '
_DURATION = r'(\d+ s|\d+ min \d\d s)'
_COMPONENT = re.compile(_STAMP + r'\w+ +(running|done)$')
_EPOCH = re.compile(_STAMP + r'  epoch (\d+)/(\d+): loss \d+\.\d{4}, accuracy \d\.\d{4}, '
                    r'validation accuracy \d\.\d{4} \(\d+\.\d s, about ' + _DURATION + r' left\)$')
_ALIVE = re.compile(_STAMP + r'  (\w+) still running \(' + _DURATION + r'\)$')
# Other libraries' lines, as they look: TensorFlow's C++ log (`2026-12-07 11:14:21.6: E ...`),
# absl's C++ log (`W0000 00:00:...`), Python's warnings and logging's default format.
_OTHERS = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] |^[IWEF]\d{4} \d\d:\d\d'
                     r'|Warning: |warnings\.warn|^(DEBUG|INFO|WARNING|ERROR|CRITICAL):'
                     r'|is deprecated')
EPOCHS = 2


@pytest.fixture(scope='module')
def a_run(tmp_path_factory, tiny_data_root):
  """(output folder, result) of a fresh `run` of two epochs on the tiny slice."""
  output_dir = tmp_path_factory.mktemp('terminal') / 'outputs'
  # TINY's own --epochs is 1: the later flag wins, and two epochs show an estimate.
  result = as_a_user('run', '--data-root', tiny_data_root, '--output-dir', output_dir,
                     *TINY, '--epochs', EPOCHS)
  return output_dir, result


def test_a_run_shows_each_epoch_under_the_trainer_and_nothing_of_other_libraries(a_run):
  output_dir, result = a_run
  assert result.returncode == 0
  assert result.stderr == ''  # The terminal's lines are on stdout; the rest is in the log.
  lines = result.stdout.splitlines()
  assert lines[0].startswith('mnist-pipeline: data ') and lines[1].startswith('Log: ')
  progress = lines[2:lines.index('')]
  for line in progress:
    assert _COMPONENT.match(line) or _EPOCH.match(line) or _ALIVE.match(line), line
  assert not [line for line in lines if _OTHERS.search(line)]
  trainer = progress[progress.index(next(line for line in progress
                                         if re.search(r'] Trainer +running$', line))):]
  trainer = trainer[1:trainer.index(next(line for line in trainer
                                         if re.search(r'] Trainer +done$', line)))]
  epochs = [_EPOCH.match(line).groups()[:2] for line in trainer if _EPOCH.match(line)]
  assert epochs == [(str(n), str(EPOCHS)) for n in range(1, EPOCHS + 1)]
  assert all(_EPOCH.match(line) or _ALIVE.match(line).group(1) == 'Trainer'
             for line in trainer)
  assert trainer[-1].endswith('about 0 s left)')
  log = (output_dir / 'logs').glob('run-*.log')
  log_text = next(log).read_text()
  assert f'Epoch {EPOCHS} (' in log_text  # The Trainer's own lines stay in the log.


def test_history_predict_rollback_and_add_span_print_only_their_own_lines(
    a_run, tiny_data_root, mnist_arrays, tmp_path):
  run_output, _ = a_run
  output_dir = tmp_path / 'outputs'  # A copy: rollback and add-span write.
  shutil.copytree(run_output, output_dir)
  data_root = tmp_path / 'data'
  shutil.copytree(tiny_data_root, data_root)
  span = tmp_path / 'span'
  span.mkdir()
  for name in ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'):
    shutil.copy(data_root / name, span / name)
  images, _ = mnist_arrays['eval']
  digit = tmp_path / 'digit.png'
  Image.fromarray(images[0].reshape(28, 28)).save(digit)
  not_an_image = tmp_path / 'notes.png'
  not_an_image.write_text('not an image')
  version = served_versions(output_dir)[-1]

  for args, errors in (
      (('history', '--output-dir', output_dir), 0),
      (('status', '--output-dir', output_dir), 0),
      (('predict', digit, '--output-dir', output_dir), 0),
      (('predict', digit, not_an_image, '--output-dir', output_dir), 1),
      (('rollback', version, '--output-dir', output_dir), 0),
      (('rollback', '123', '--output-dir', output_dir), 1),
      (('add-span', span, '--data-root', data_root), 0)):
    result = as_a_user(*args)
    assert result.stdout or errors, args  # Each says something.
    assert not [line for line in result.stdout.splitlines() if _OTHERS.search(line)], args
    stderr = result.stderr.splitlines()
    assert len(stderr) == errors and all(line.startswith('error: ') for line in stderr), args
    assert (result.returncode == 0) == (errors == 0), args


def test_progress_shows_components_epochs_and_that_a_long_step_is_alive():
  """The units of app/logs.Progress, on records as LocalDagRunner and the Trainer log them."""
  from mnist_tfx.app import logs  # pylint: disable=g-import-not-at-top

  terminal = io.StringIO()
  progress = logs.Progress(terminal, heartbeat_s=0.3)
  logger = logging.getLogger('test_terminal')
  logger.propagate = False
  logger.setLevel(logging.INFO)
  logger.addHandler(progress)
  try:
    logger.info('Component %s is running.', 'Transform')
    time.sleep(1.0)  # About three heartbeats.
    logger.info('Component %s is finished.', 'Transform')
    logger.info('Component %s is running.', 'Trainer')
    logger.info('From random weights: --cold-start. Recipe %s: %d epochs of batch %d, '
                'precision %s.', 'fast', 3, 128, 'float32')
    logger.info('Epoch %d (%.1f s): %s', 1, 95.0,
                'loss 0.2, accuracy 0.95, val_loss 0.1, val_accuracy 0.97, lr 0.004')
    logger.info('Component %s is finished.', 'Trainer')
    time.sleep(0.7)  # Nothing runs: no heartbeat.
  finally:
    logger.removeHandler(progress)
    progress.stop()
  lines = [line.split('] ', 1)[1] for line in terminal.getvalue().splitlines()]
  assert lines[0] == 'Transform        running'
  alive = lines[1:lines.index('Transform        done')]
  assert 2 <= len(alive) <= 4, lines
  assert all(re.fullmatch(r'  Transform still running \(\d s\)', line) for line in alive)
  assert lines[-3:] == [
      'Trainer          running',
      '  epoch 1/3: loss 0.2000, accuracy 0.9500, validation accuracy 0.9700 '
      '(95.0 s, about 3 min 10 s left)',
      'Trainer          done']


def test_other_libraries_output_goes_nowhere_and_ours_stays():
  """C++ on file descriptor 2, Python's warnings and logging: gone; our prints and a bug's
  traceback: on the terminal."""
  script = (
      'import logging, os, sys, warnings\n'
      'from mnist_tfx.app import logs\n'
      'with logs.others_to_nowhere():\n'
      '  os.write(2, b"E external/local_xla: Unable to register cuDNN factory\\n")\n'
      '  warnings.warn("a non-supported Python version", FutureWarning)\n'
      '  logging.getLogger("tensorflow").warning("tf_record_iterator is deprecated")\n'
      '  print("error: ours", file=sys.stderr)\n'
      'print("after", file=sys.stderr)\n'
      'with logs.others_to_nowhere():\n'
      '  raise RuntimeError("a bug")\n')
  result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                          timeout=60, check=False)
  lines = result.stderr.splitlines()
  assert lines[:2] == ['error: ours', 'after']
  assert lines[2] == 'Traceback (most recent call last):' and lines[-1] == 'RuntimeError: a bug'
  assert result.returncode == 1
