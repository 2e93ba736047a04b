"""Shared fixtures: small IDX data cut from data/mnist at test time, never committed twice."""

import fcntl
import json
import os
import subprocess

# Keras 2 (tf_keras) as in every run of the project; set before anything imports TensorFlow.
os.environ['TF_USE_LEGACY_KERAS'] = '1'
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import pytest  # pylint: disable=g-import-not-at-top

from tests import idx_files  # pylint: disable=g-import-not-at-top
from tests.pipeline.cli_runs import QUICK  # pylint: disable=g-import-not-at-top
from tests.pipeline.cli_runs import run_cli  # pylint: disable=g-import-not-at-top
from tests.reliability import table  # pylint: disable=g-import-not-at-top

# Enough for BatchNorm's moving statistics to settle in two epochs (about 160 steps).
SMALL_TRAIN = 5000
SMALL_EVAL = 1000


def pytest_addoption(parser):
  parser.addoption('--reliability-table', action='store_true',
                   help='write the reliability matrix into RELIABILITY.md')


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
  return {'train': idx_files.read_split('train', SMALL_TRAIN),
          'eval': idx_files.read_split('eval', SMALL_EVAL)}


@pytest.fixture(scope='session')
def small_data_root(tmp_path_factory, mnist_arrays):
  """A data root of gzipped IDX files holding the small slice (one for all test workers)."""
  root, _ = _once(tmp_path_factory, 'small_mnist',
                  lambda folder: idx_files.write_data_root(folder, mnist_arrays))
  return root


@pytest.fixture(scope='session')
def first_run(tmp_path_factory, small_data_root):
  """(output folder, result) of a quick run on the small slice: it pushes version 1.

  Shared by every test that needs a run (the pipeline's, the report's, predict's),
  in every test worker: later tests build on its output folder.
  """
  def make(output_dir):
    result = run_cli(small_data_root, output_dir, *QUICK)
    return [result.args, result.returncode, result.stdout, result.stderr]
  output_dir, result = _once(tmp_path_factory, 'outputs', make)
  return output_dir, subprocess.CompletedProcess(*result)


def _once(tmp_path_factory, name: str, make):
  """(folder, what make(folder) returned), made once per test session whatever the
  number of xdist workers.

  The first worker to get here makes it under a lock, in the session's shared folder;
  the others wait for it and read what make returned (kept as JSON).
  """
  base = tmp_path_factory.getbasetemp()
  shared = base.parent if os.environ.get('PYTEST_XDIST_WORKER') else base
  folder, done = shared / name, shared / f'{name}.json'
  with open(shared / f'{name}.lock', 'w') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not done.exists():
      folder.mkdir()
      done.write_text(json.dumps(make(folder)))
    return folder, json.loads(done.read_text())
