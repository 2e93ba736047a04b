"""LabelCheck's sensitivity with a real served model: a few wrong labels stop a span.

The shared first run's model (two epochs on the small slice, about 94% right) is served,
and StartingModel's executor copies it as a run does. Span 2 holds the next 3,000 training
digits with 10% of their labels shuffled, or with the labels of 1 and 7 swapped: both keep
DataGate's drift check quiet (shuffling keeps every digit's share; the swap moves two
shares by about a point), and LabelCheck's executor must stop both, naming the labels it
disagrees with most. The run that stops before training, through the command line, is
test_retraining.py's story (30% shuffled); the executor on a tiny model, and a clean span
passing, are tests/components/test_label_check.py.
"""

import re
import shutil

import numpy as np
import pytest

from mnist_tfx.lib.errors import DataError
from mnist_tfx.pipeline import configs
from tests.support import artifacts
from tests.support import idx_files

pytestmark = pytest.mark.full

SPAN = slice(5000, 8000)
MARGIN = configs.PipelineConfig().label_agreement_margin  # What the pipeline passes.

# pylint: disable=g-import-not-at-top  (TFX loads inside the tests, not at collection.)


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
def served(tmp_path_factory, first_run):
  """StartingModel's copy of the first run's served model, as a run on new data makes it."""
  folder = tmp_path_factory.mktemp('label_check_served')
  return artifacts.starting_model(folder, artifacts.new('Examples', folder / 'examples'),
                                  first_run[0] / 'serving')


def _stopped(folder, small_data_root, served_model, span_labels) -> str:
  """IdxExampleGen's examples of the small slice plus a span 2 with these labels, then
  LabelCheck's executor; the message of the DataError it must raise."""
  from mnist_tfx.components.idx_example_gen.component import IdxExampleGen
  from mnist_tfx.components.label_check.component import LabelCheck
  images, _ = idx_files.read_split('train', SPAN.stop)
  root = folder / 'data'
  shutil.copytree(small_data_root, root)
  idx_files.write_data_root(root / 'span-2', {'train': (images[SPAN], span_labels)})
  examples = artifacts.new('Examples', folder / 'examples')
  IdxExampleGen.EXECUTOR_SPEC.executor_class().Do({}, {'examples': [examples]},
                                                  {'data_root': str(root)})
  with pytest.raises(DataError) as error:
    LabelCheck.EXECUTOR_SPEC.executor_class().Do(
        {'examples': [examples], 'served': [served_model]},
        {'check': [artifacts.new('File', folder / 'check')]}, {'margin': MARGIN})
  return str(error.value)


def _agreement(message):
  """(agreement, the served model's test accuracy) from LabelCheck's message."""
  match = re.search(r'agrees with ([0-9.]+) of its \d+ labels; .* \(its test accuracy ([0-9.]+)',
                    message)
  return float(match[1]), float(match[2])


def test_ten_percent_of_the_labels_shuffled_stop_the_span(tmp_path, small_data_root, served):
  _, labels = idx_files.read_split('train', SPAN.stop)
  message = _stopped(tmp_path, small_data_root, served, _shuffled(labels[SPAN], 0.1, seed=10))
  assert message.startswith('span 2: the served model (version ')
  agreement, expected = _agreement(message)
  assert agreement < expected - MARGIN


def test_one_and_seven_swapped_stop_the_span_and_the_pair_is_named(
    tmp_path, small_data_root, served):
  _, labels = idx_files.read_split('train', SPAN.stop)
  message = _stopped(tmp_path, small_data_root, served, _swapped(labels[SPAN], 1, 7))
  agreement, expected = _agreement(message)
  assert agreement < expected - MARGIN
  named = message.split('Most disagreed: ')[1].split('.')[0].split(', ')
  # The two most frequent disagreements are the swap, both ways.
  assert sorted(pair.split(':')[0] for pair in named[:2]) == ['1 labelled as 7',
                                                             '7 labelled as 1']
