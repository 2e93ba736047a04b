"""LabelCheck through the command line: a span with wrong labels stops before anything trains.

Span 1 is the shared first run's small slice, served as version 1. Each case adds a
span 2 of the next 3,000 training digits to its own copy of that data root, and runs on
a copy of the first run's ML Metadata and serving directory. Shuffled labels keep every
digit's share, and one digit's labels swapped with another's moves the shares by about
a point: DataGate's drift check passes all of them, by design; LabelCheck must not.
(The 30% case, and a clean span that passes, are in test_retraining.py's story.)
"""

import re
import shutil

import numpy as np
import pytest

from mnist_tfx.app import cli
from tests.support import idx_files
from tests.support.folders import copy_run
from tests.support.cli_runs import QUICK
from tests.support.cli_runs import component_states
from tests.support.cli_runs import run_cli
from tests.support.cli_runs import served_versions

pytestmark = pytest.mark.full

SPAN = slice(5000, 8000)


def _shuffled(labels, share, seed):
  labels = labels.copy()
  rng = np.random.default_rng(seed)
  picked = rng.choice(len(labels), int(share * len(labels)), replace=False)
  labels[picked] = rng.permutation(labels[picked])
  return labels


def _swapped(labels, one, other):
  swapped = labels.copy()
  swapped[labels == one], swapped[labels == other] = other, one
  return swapped


@pytest.fixture(scope='module')
def stopped(tmp_path_factory, small_data_root, first_run):
  """{case: (result, versions after)} of a run on span 2 with that case's labels."""
  base = tmp_path_factory.mktemp('label_check')
  output_dir = base / 'outputs'
  copy_run(first_run[0], output_dir)
  images, labels = idx_files.read_split('train', SPAN.stop)
  cases = {'shuffled 10%': _shuffled(labels[SPAN], 0.1, seed=10),
           '1 and 7 swapped': _swapped(labels[SPAN], 1, 7)}
  found = {}
  for number, (case, span_labels) in enumerate(cases.items()):
    data = base / f'data-{number}'
    shutil.copytree(small_data_root, data)
    idx_files.write_data_root(base / f'batch-{number}', {'train': (images[SPAN], span_labels)})
    assert cli.main(['add-span', str(base / f'batch-{number}'), '--data-root', str(data)]) == 0
    found[case] = (run_cli(data, output_dir, *QUICK), served_versions(output_dir))
  found['served before'] = served_versions(first_run[0])
  return found


def _agreement(stdout):
  """(agreement, the served model's test accuracy) from LabelCheck's error line."""
  match = re.search(r'agrees with ([0-9.]+) of its \d+ labels; .* \(its test accuracy ([0-9.]+)',
                    stdout)
  return float(match[1]), float(match[2])


@pytest.mark.parametrize('case', ['shuffled 10%', '1 and 7 swapped'])
def test_wrong_labels_stop_the_run_before_training(stopped, case):
  result, versions = stopped[case]
  assert result.returncode == cli.EXIT_BAD_DATA
  error = next(line for line in result.stdout.splitlines() if line.startswith('error:'))
  assert error.startswith('error: bad input data: span 2: the served model (version ')
  agreement, expected = _agreement(error)
  assert agreement < expected - 0.03
  states = component_states(result.stdout)
  assert states['LabelCheck'] == 'FAILED'
  assert 'Transform' not in states and 'Trainer' not in states
  assert versions == stopped['served before']


def test_a_swapped_pair_is_named(stopped):
  result, _ = stopped['1 and 7 swapped']
  error = next(line for line in result.stdout.splitlines() if line.startswith('error:'))
  named = error.split('Most disagreed: ')[1].split('.')[0].split(', ')
  # The two most frequent disagreements are the swap, both ways.
  assert sorted(pair.split(':')[0] for pair in named[:2]) == ['1 labelled as 7',
                                                             '7 labelled as 1']
