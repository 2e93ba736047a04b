"""Shared fixtures and the two tiers.

fast: units and single components on small data, no full pipeline run
      (`bin/test -m fast`, under two minutes here: what to run on each change).
full: end to end, the reliability matrix and the Kubeflow stand-in; a module
      says so with `pytestmark = pytest.mark.full`. `bin/test` runs both, as CI does.
"""

import json
import os
import subprocess

# Keras 2 (tf_keras) as in every run of the project; set before anything imports TensorFlow.
os.environ['TF_USE_LEGACY_KERAS'] = '1'
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import pytest  # pylint: disable=g-import-not-at-top
import yaml  # pylint: disable=g-import-not-at-top

from tests.reliability import table  # pylint: disable=g-import-not-at-top
from tests.support import compiled  # pylint: disable=g-import-not-at-top
from tests.support import idx_files  # pylint: disable=g-import-not-at-top
from tests.support.cli_runs import QUICK  # pylint: disable=g-import-not-at-top
from tests.support.cli_runs import run_cli  # pylint: disable=g-import-not-at-top
from tests.support.folders import once  # pylint: disable=g-import-not-at-top

# The longest modules, started first so that the two workers finish together (xdist's
# loadscope hands out modules in collection order; the short ones then fill the gaps).
# Retraining starts with the shared first run, which the other worker's modules after
# the photos' own model find made. Seconds: a whole `bin/test` at b8ee90f on 2 cores, idle.
LONGEST_FIRST = (
    'tests/app/test_predict_photos.py',  # 125 s: a model of its own on all of data/mnist.
    'tests/pipeline/test_retraining.py',  # 92 s, the first run included.
    'tests/pipeline/test_no_change_run.py',  # 64 s.
    'tests/reliability/test_crashes.py',  # 48 s.
    'tests/app/test_watch.py',  # 48 s.
    'tests/app/test_terminal.py',  # 45 s.
    'tests/pipeline/test_span_test.py',  # 33 s.
    'tests/kubeflow/test_step_both_ways.py',  # 27 s.
    'tests/reliability/test_canary.py',  # 27 s.
    'tests/kubeflow/test_pipeline_on_backend.py',  # 26 s.
    'tests/components/test_data_gate.py',  # 21 s.
    'tests/reliability/test_gate.py',  # 19 s.
    'tests/components/run_report/test_executor.py',  # 18 s.
    'tests/reliability/test_memory.py',  # 17 s.
    'tests/kubeflow/test_backend_faults.py',  # 12 s.
)
# Fixtures that run the whole pipeline: only the full tier may use them.
FULL_RUN_FIXTURES = ('first_run', 'output_with_a_served_model', 'decent_model')


def pytest_addoption(parser):
  parser.addoption('--reliability-table', action='store_true',
                   help='write the reliability matrix into RELIABILITY.md')


def pytest_configure(config):
  config.addinivalue_line('markers', 'full: end to end, the reliability matrix, Kubeflow')
  config.addinivalue_line('markers', 'fast: every test not marked full (given at collection)')


def pytest_collection_modifyitems(config, items):
  """Marks the fast tier, refuses a fast test that runs the pipeline, and orders the modules."""
  del config
  for item in items:
    if item.get_closest_marker('full') is None:
      uses = [name for name in FULL_RUN_FIXTURES if name in item.fixturenames]
      if uses:
        raise pytest.UsageError(f'{item.nodeid} uses {uses[0]}, a full pipeline run: '
                                'mark its module full')
      item.add_marker(pytest.mark.fast)

  def rank(item):
    path = item.nodeid.split('::')[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)
  items.sort(key=rank)  # Stable: within a module, the file's order.


# The reliability table's hooks live here, in the conftest that xdist's controller
# loads too: the workers record rows (tests/reliability/), the controller writes them.

def pytest_runtest_logreport(report):
  if report.when == 'call' or report.outcome != 'passed':
    if table.OUTCOMES.get(report.nodeid) != 'failed':
      table.OUTCOMES[report.nodeid] = report.outcome


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
  """xdist: the rows a worker recorded, handed to the controller."""
  del error
  table.ROWS.extend(tuple(row) for row in json.loads(
      node.workeroutput.get('reliability_rows', '[]')))


def pytest_sessionfinish(session):
  if hasattr(session.config, 'workeroutput'):  # An xdist worker: hand the rows over.
    session.config.workeroutput['reliability_rows'] = json.dumps(table.ROWS)
  elif session.config.getoption('reliability_table') and table.ROWS:
    print(f'\nwrote {table.write(table.OUTCOMES)}')


@pytest.fixture(scope='session')
def mnist_arrays():
  """The first SMALL_TRAIN training and SMALL_EVAL test digits of data/mnist."""
  return {'train': idx_files.read_split('train', idx_files.SMALL_TRAIN),
          'eval': idx_files.read_split('eval', idx_files.SMALL_EVAL)}


@pytest.fixture(scope='session')
def small_data_root(tmp_path_factory, mnist_arrays):
  """A data root of gzipped IDX files holding the small slice (one for all test workers)."""
  root, _ = once(tmp_path_factory, 'small_mnist',
                 lambda folder: idx_files.write_data_root(folder, mnist_arrays))
  return root


@pytest.fixture(scope='session')
def tiny_data_root(tmp_path_factory, mnist_arrays):
  """A data root of the first TINY_TRAIN training and TINY_EVAL test digits: for runs that
  assert no accuracy (with a gate of 0), where the per-run costs, not the digits, dominate."""
  images, labels = mnist_arrays['train']
  tiny = {'train': (images[:idx_files.TINY_TRAIN], labels[:idx_files.TINY_TRAIN])}
  images, labels = mnist_arrays['eval']
  tiny['eval'] = (images[:idx_files.TINY_EVAL], labels[:idx_files.TINY_EVAL])
  root, _ = once(tmp_path_factory, 'tiny_mnist',
                 lambda folder: idx_files.write_data_root(folder, tiny))
  return root


@pytest.fixture(scope='session')
def first_run(tmp_path_factory, small_data_root):
  """(output folder, result) of a quick run on the small slice: it pushes version 1.

  Shared by the full tier's tests that need a run (the report's, predict's, the
  matrix's), in every test worker. They read it; a test that runs again works on a
  copy, or on this folder only in ways no other test depends on.
  """
  def make(output_dir):
    result = run_cli(small_data_root, output_dir, *QUICK)
    return [result.args, result.returncode, result.stdout, result.stderr]
  output_dir, result = once(tmp_path_factory, 'outputs', make)
  return output_dir, subprocess.CompletedProcess(*result)


# The compiled Kubeflow spec, once per session: compiling imports TFX and the whole
# pipeline (about half a minute), and every test of it reads the same file.


@pytest.fixture(scope='session')
def compiled_spec(tmp_path_factory):
  """(package path, [spec, platform document]) of `mnist-pipeline kubeflow compile` with
  tests/support/compiled.py's flags."""
  from mnist_tfx.app import cli  # pylint: disable=g-import-not-at-top

  def make(folder):
    package = str(folder / 'mnist-tfx.yaml')
    status = cli.main(['kubeflow', 'compile', *compiled.COMPILE_FLAGS, '--package', package])
    return [package, status]
  _, (package, status) = once(tmp_path_factory, 'compiled_spec', make)
  assert status == 0
  with open(package) as f:
    return package, list(yaml.safe_load_all(f))
