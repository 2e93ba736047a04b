"""Bad options and an ambiguous data folder through the command line: one line naming the
flag (or the files), the value and what is allowed, exit status 2, and nothing run or
written: no output folder made, the served files unchanged, byte for byte.

Each case is refused before TFX or TensorFlow loads (app/options.py, app/preflight.py),
so each costs about a second. The served model here is a stand-in folder of files: nothing
reads it before the refusal, and the case is that nothing writes it.
"""

import os
import shutil

import pytest

from mnist_tfx.app.exit_codes import EXIT_BAD_OPTION
from tests.reliability.table import command_line
from tests.support import idx_files
from tests.support.cli_runs import mnist_pipeline
from tests.support.folders import snapshot

pytestmark = pytest.mark.full

GOOD_GS = ('--image', 'mnist-tfx:v7', '--data-root', 'gs://my-bucket/mnist',
           '--output-dir', 'gs://my-bucket/mnist-tfx', '--host', 'http://localhost:8080')


@pytest.fixture
def data_root(tmp_path, mnist_arrays):
  """A good data root of 300 digits: train and t10k pairs."""
  images, labels = mnist_arrays['eval']
  root = tmp_path / 'data'
  idx_files.write_data_root(root, {'train': (images[:300], labels[:300]),
                                   'eval': (images[:300], labels[:300])})
  return root


@pytest.fixture
def served(tmp_path):
  """An output folder whose serving directory holds version 1."""
  version = tmp_path / 'outputs' / 'serving' / '1'
  (version / 'variables').mkdir(parents=True)
  (version / 'saved_model.pb').write_bytes(b'graph')
  (version / 'variables' / 'variables.index').write_bytes(b'index')
  return tmp_path / 'outputs'


def _line(result):
  lines = result.stderr.strip().splitlines()
  return lines[-1] if lines else ''


def _check_refused(result, line):
  assert result.returncode == EXIT_BAD_OPTION, result.stderr
  assert result.stderr.count('\n') == 1, result.stderr
  assert _line(result) == line


RUN_CASES = {
    'negative epochs': (
        ('--epochs', '-3'),
        "error: --epochs -3: must be a whole number of at least 0 (0: the recipe's own). "
        'Nothing was run.'),
    'an accuracy threshold above 1': (
        ('--accuracy-threshold', '1.5'),
        'error: --accuracy-threshold 1.5: must be a number from 0 to 1. Nothing was run.'),
    'a span window of 0': (
        ('--span-window', '0'),
        'error: --span-window 0: must be a whole number of at least 1. Nothing was run.'),
    'a seed NumPy cannot take': (
        ('--seed', str(2**32)),
        f'error: --seed {2**32}: must be a whole number from 0 to 4294967295 (NumPy\'s seeds). '
        'Nothing was run.'),
    'epochs not a number': (
        ('--epochs', 'abc'), "error: argument --epochs: invalid int value: 'abc'"),
}


@pytest.mark.parametrize('case', list(RUN_CASES))
def test_a_bad_run_option_makes_no_output_folder(case, data_root, tmp_path, record):
  flags, line = RUN_CASES[case]
  output_dir = tmp_path / 'outputs'
  args = ('run', '--data-root', data_root, '--output-dir', output_dir, *flags)
  result = mnist_pipeline(*args)
  made = os.path.exists(output_dir)
  record(f'run: {case}', f'exit 2, `{line}`; no output folder',
         f'exit {result.returncode}; `{_line(result)}`; output folder '
         f'{"MADE" if made else "not made"}', command_line(*args, DATA=data_root, OUT=output_dir))
  _check_refused(result, line)
  assert not made


def test_a_bad_option_leaves_the_served_model_as_it_was(data_root, served, record):
  before = snapshot(served)
  args = ('run', '--data-root', data_root, '--output-dir', served,
          '--digit-accuracy-floor', '-0.5')
  result = mnist_pipeline(*args)
  line = ('error: --digit-accuracy-floor -0.5: must be a number from 0 to 1. '
          'Nothing was run.')
  unchanged = snapshot(served) == before
  record('run: a negative digit floor, beside a served model',
         f'exit 2, `{line}`; output folder unchanged',
         f'exit {result.returncode}; `{_line(result)}`; output folder '
         f'{"unchanged" if unchanged else "CHANGED"}',
         command_line(*args, DATA=data_root, OUT=served))
  _check_refused(result, line)
  assert unchanged and os.listdir(served) == ['serving']  # No store, logs or lock.


@pytest.mark.parametrize('case, cron, line', [
    ('not a cron expression', 'bad',
     "error: --cron 'bad': has 1 field, not 6; must be 6 cron fields, seconds first "
     '("0 0 3 * * 1": Mondays at 03:00), or @daily, @weekly, @every 24h, ...'),
    ('a Unix cron line (5 fields)', '0 3 * * 1',
     "error: --cron '0 3 * * 1': has 5 fields: Kubeflow Pipelines would read the first as "
     'seconds, not minutes (put a 0 in front); must be 6 cron fields, seconds first '
     '("0 0 3 * * 1": Mondays at 03:00), or @daily, @weekly, @every 24h, ...'),
])
def test_a_bad_schedule_is_refused_before_compiling(case, cron, line, tmp_path, record):
  """Compiling imports TFX (half a minute) and the backend would refuse the schedule only
  after the upload, or take five fields and run hourly in January."""
  package = tmp_path / 'mnist-tfx.yaml'
  args = ('kubeflow', 'schedule', *GOOD_GS, '--package', package, '--cron', cron)
  result = mnist_pipeline(*args)
  record(f'kubeflow schedule: {case}', f'exit 2, `{line}`; no spec written',
         f'exit {result.returncode}; `{_line(result)}`; spec '
         f'{"WRITTEN" if package.exists() else "not written"}',
         command_line(*args, SPEC=package))
  _check_refused(result, line)
  assert not package.exists()


@pytest.mark.parametrize('case, extra', [
    ('a file and its gzipped copy', 'train-images-idx3-ubyte'),
    ('the same file under a second spelling', 'train-images.idx3-ubyte.gz'),
])
def test_an_ambiguous_data_folder_is_refused_naming_the_files(case, extra, data_root, tmp_path,
                                                             record):
  shutil.copy(data_root / 'train-images-idx3-ubyte.gz', data_root / extra)
  output_dir = tmp_path / 'outputs'
  args = ('run', '--data-root', data_root, '--output-dir', output_dir)
  result = mnist_pipeline(*args)
  first, second = sorted(['train-images-idx3-ubyte.gz', extra])
  line = (f'error: bad input data: {data_root}: both {first} and {second} hold the train '
          'images, and only one would be read; keep one. Nothing was run.')
  made = os.path.exists(output_dir)
  record(f'data folder: {case}',
         'exit 2, `error: bad input data: DATA: both A and B hold the train images, ...; keep '
         'one`; no output folder',
         f'exit {result.returncode}; `{_line(result).replace(str(data_root), "DATA")}`; '
         f'output folder {"MADE" if made else "not made"}',
         command_line(*args, DATA=data_root, OUT=output_dir))
  _check_refused(result, line)
  assert not made
