"""The first quick run of the pipeline, shared: later tests build on its output folder."""

import pytest

from tests.pipeline.cli_runs import QUICK
from tests.pipeline.cli_runs import run_cli


@pytest.fixture(scope='session')
def first_run(tmp_path_factory, small_data_root):
  """(output folder, result) of a quick run on the small slice: it pushes version 1."""
  output_dir = tmp_path_factory.mktemp('outputs')
  return output_dir, run_cli(small_data_root, output_dir, *QUICK)
