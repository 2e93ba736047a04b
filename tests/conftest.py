"""Shared fixtures: small IDX data cut from data/mnist at test time, never committed twice."""

import os

# Keras 2 (tf_keras) as in every run of the project; set before anything imports TensorFlow.
os.environ['TF_USE_LEGACY_KERAS'] = '1'
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import pytest  # pylint: disable=g-import-not-at-top

from tests import idx_files  # pylint: disable=g-import-not-at-top
from tests.pipeline.cli_runs import QUICK  # pylint: disable=g-import-not-at-top
from tests.pipeline.cli_runs import run_cli  # pylint: disable=g-import-not-at-top

# Enough for BatchNorm's moving statistics to settle in two epochs (about 160 steps).
SMALL_TRAIN = 5000
SMALL_EVAL = 1000


def pytest_addoption(parser):
  parser.addoption('--reliability-table', action='store_true',
                   help='write the reliability matrix into RELIABILITY.md')


@pytest.fixture(scope='session')
def mnist_arrays():
  """The first SMALL_TRAIN training and SMALL_EVAL test digits of data/mnist."""
  return {'train': idx_files.read_split('train', SMALL_TRAIN),
          'eval': idx_files.read_split('eval', SMALL_EVAL)}


@pytest.fixture(scope='session')
def small_data_root(tmp_path_factory, mnist_arrays):
  """A data root of gzipped IDX files holding the small slice."""
  root = tmp_path_factory.mktemp('small_mnist')
  idx_files.write_data_root(root, mnist_arrays)
  return root


@pytest.fixture(scope='session')
def first_run(tmp_path_factory, small_data_root):
  """(output folder, result) of a quick run on the small slice: it pushes version 1.

  Shared by every test that needs a run (the pipeline's, the report's, predict's):
  later tests build on its output folder.
  """
  output_dir = tmp_path_factory.mktemp('outputs')
  return output_dir, run_cli(small_data_root, output_dir, *QUICK)
