"""The gate on a model that learnt nothing: never blessed, never pushed, and the report says so."""

import numpy as np
import pytest

from tests.reliability.table import command_line
from tests.support import idx_files
from tests.support.cli_runs import QUICK
from tests.support.cli_runs import run_warm
from tests.support.cli_runs import report_page
from tests.support.cli_runs import served_versions

pytestmark = pytest.mark.full


def test_a_model_trained_on_shuffled_labels_is_never_pushed(tmp_path, mnist_arrays, record):
  images, labels = mnist_arrays['train']
  shuffled = np.random.default_rng(0).permutation(labels)
  root = tmp_path / 'data'
  idx_files.write_data_root(root, {'train': (images, shuffled), 'eval': mnist_arrays['eval']})
  output_dir = tmp_path / 'outputs'
  args = ('run', '--data-root', root, '--output-dir', output_dir, *QUICK,
          '--train-limit', '2000', '--epochs', '1')
  result = run_warm(*args)
  accuracy = [line for line in result.stdout.splitlines() if line.startswith('test accuracy:')]
  record('first run, on training labels shuffled (nothing served yet: no baseline)',
         'not blessed by the absolute gate (exit 3); nothing pushed',
         f'exit {result.returncode}; `{accuracy[0] if accuracy else "no accuracy"}`; versions '
         f'{len(served_versions(output_dir))}', command_line(*args, DATA=root, OUT=output_dir))
  assert result.returncode == 3
  assert 'blessed:       no' in result.stdout
  assert served_versions(output_dir) == []
  with open(report_page(result.stdout)) as f:  # A run report whatever the verdict.
    page = f.read()
  assert 'not blessed' in page and 'Nothing was pushed' in page
