"""LabelCheck's executor: the session's tiny model, published and copied by StartingModel's
executor as a run does, reads a span 2 of 1,000 training digits with clean or wrong labels.

The digits are the ones the tiny model trained on, so that it agrees with their clean labels
at least as often as with the test digits (about 0.59 against 0.52); on digits it never saw,
a model this small can fall either side of the margin. Shuffling 60% of the labels keeps
every digit's share (DataGate's drift check passes it) and halves the agreement; swapping
two digits' labels moves every digit the model reads of the two. The figures asserted are
computed here from the model's own answers.
"""

import collections
import json
import os

import numpy as np
import pytest

from mnist_tfx.lib import contracts
from mnist_tfx.lib.errors import DataError
from mnist_tfx.pipeline import configs
from tests.support import artifacts
from tests.support import idx_files

# pylint: disable=g-import-not-at-top  (TFX loads inside the tests, not at collection.)

MARGIN = configs.PipelineConfig().label_agreement_margin  # What the pipeline passes.


@pytest.fixture(scope='module')
def served(tmp_path_factory, tiny_trained):
  """StartingModel's copy of the tiny model, published as the served version."""
  folder = tmp_path_factory.mktemp('served')
  version = artifacts.publish(tiny_trained['model'], folder / 'serving')
  return artifacts.starting_model(folder, artifacts.artifact(tiny_trained['examples']),
                                  folder / 'serving'), version


@pytest.fixture(scope='module')
def read(tiny_trained):
  """(images, labels, the model's digits) of the training digits; (labels, digits) of eval."""
  images, labels = idx_files.read_split('train', artifacts.TRAIN_DIGITS)
  model = artifacts.serving_model(tiny_trained['model'])
  train_labels, digits = artifacts.answers(model, artifacts.split_uri(tiny_trained['examples'],
                                                                      'train'))
  np.testing.assert_array_equal(train_labels, labels)
  return (images, labels, digits), artifacts.answers(
      model, artifacts.split_uri(tiny_trained['examples'], 'eval'))


def _span_2(folder, tiny_trained, images, labels):
  """IdxExampleGen's examples of a data root whose span 2 holds these digits, with the
  session's fixed evaluation set."""
  from mnist_tfx.components.idx_example_gen.component import IdxExampleGen
  root = folder / 'data'
  idx_files.write_data_root(root, {'train': (images[:100], labels[:100])})
  idx_files.write_data_root(root / 'span-2', {'train': (images, labels)})
  examples = artifacts.new('Examples', folder / 'examples')
  IdxExampleGen.EXECUTOR_SPEC.executor_class().Do(
      {}, {'examples': [examples]},
      {'data_root': str(root), 'eval_root': tiny_trained['eval_root']})
  return examples


def _check(folder, examples, served_model):
  """Runs the executor as the LabelCheck step does; its `check` artifact."""
  from mnist_tfx.components.label_check.component import LabelCheck
  check = artifacts.new('File', folder / 'check')
  LabelCheck.EXECUTOR_SPEC.executor_class().Do(
      {'examples': [examples], 'served': [served_model]}, {'check': [check]}, {'margin': MARGIN})
  return check


def _record(check):
  with open(os.path.join(check.uri, contracts.File.LABEL_CHECK)) as f:
    written = json.load(f)
  assert json.loads(check.get_string_custom_property(contracts.Property.LABEL_CHECK)) == written
  return written


def test_nothing_served_skips_the_check(tmp_path, tiny_trained):
  examples = artifacts.artifact(tiny_trained['examples'])
  # StartingModel's output of the session's run: nothing was served.
  check = _check(tmp_path, examples, artifacts.artifact(tiny_trained['served']))
  assert _record(check) == {'version': '', 'skipped': 'no model served yet'}


def test_a_damaged_served_model_skips_the_check_naming_the_damage(tmp_path, tiny_trained):
  serving = tmp_path / 'serving'
  version = artifacts.publish(tiny_trained['model'], serving)
  with open(serving / version / 'saved_model.pb', 'ab') as f:
    f.write(b'!')
  served_model = artifacts.starting_model(
      tmp_path, artifacts.artifact(tiny_trained['examples']), serving)
  check = _check(tmp_path, artifacts.artifact(tiny_trained['examples']), served_model)
  assert _record(check) == {
      'version': version,
      'skipped': f'served version {version} is damaged ({serving / version}/saved_model.pb: '
                 'changed since it was pushed (SHA-256 differs))'}


def test_clean_labels_pass_with_the_models_figures(tmp_path, tiny_trained, served, read):
  (images, labels, digits), (test_labels, test_digits) = read
  served_model, version = served
  check = _check(tmp_path, _span_2(tmp_path, tiny_trained, images, labels), served_model)
  found = _record(check)
  agreement, expected = np.mean(labels == digits), np.mean(test_labels == test_digits)
  assert agreement >= expected - MARGIN  # What the check is: it passed.
  assert found['version'] == version and found['skipped'] == ''
  assert found['digits'] == artifacts.TRAIN_DIGITS and found['margin'] == MARGIN
  assert found['agreement'] == pytest.approx(agreement)
  assert found['expected'] == pytest.approx(expected)
  assert found['per_digit'] == pytest.approx(
      {str(d): np.mean(digits[labels == d] == d) for d in range(10)})
  _assert_most_frequent(found['disagreements'], labels, digits, 10)


def _shuffled(labels):
  """60% of the labels permuted among themselves: every digit's share unchanged."""
  labels = labels.copy()
  rng = np.random.default_rng(60)
  picked = rng.choice(len(labels), int(0.6 * len(labels)), replace=False)
  labels[picked] = rng.permutation(labels[picked])
  return labels


def _swapped(labels, digits):
  """The labels of the two digits the model reads right most often, swapped."""
  right = np.bincount(digits[labels == digits], minlength=10)
  one, other = np.argsort(-right, kind='stable')[:2]
  swapped = labels.copy()
  swapped[labels == one], swapped[labels == other] = other, one
  return swapped


@pytest.mark.parametrize('case', ['shuffled 60%', 'two digits swapped'])
def test_wrong_labels_stop_the_run_naming_span_agreement_floor_and_pairs(
    tmp_path, tiny_trained, served, read, case):
  (images, labels, digits), (test_labels, test_digits) = read
  wrong = _shuffled(labels) if case == 'shuffled 60%' else _swapped(labels, digits)
  examples = _span_2(tmp_path, tiny_trained, images, wrong)
  with pytest.raises(DataError) as error:
    _check(tmp_path, examples, served[0])
  agreement, expected = np.mean(wrong == digits), np.mean(test_labels == test_digits)
  assert agreement < expected - MARGIN
  assert error.value.path == 'span 2'
  message = error.value.problem
  assert message.startswith(
      f'the served model (version {served[1]}) agrees with {agreement:.4f} of its '
      f'{artifacts.TRAIN_DIGITS} labels; expected at least {expected - MARGIN:.4f} (its test '
      f'accuracy {expected:.4f} less --label-agreement-margin {MARGIN:g}). Most disagreed: ')
  assert message.endswith('. The labels look wrong: nothing was trained')
  named = [[int(n) for n in pair.replace(' labelled as ', ':').split(':')] for pair in
           message.split('Most disagreed: ')[1].split('. The labels')[0].split(', ')]
  _assert_most_frequent(named, wrong, digits, 3)
  if case == 'two digits swapped':  # Each swapped digit the model reads, labelled as the other.
    right = np.bincount(digits[labels == digits], minlength=10)
    one, other = np.argsort(-right, kind='stable')[:2]
    assert [one, other, right[one]] in named and [other, one, right[other]] in named
  assert os.listdir(tmp_path / 'check') == []  # Nothing written when the check stops the run.


def _assert_most_frequent(pairs, labels, digits, kept):
  """pairs: [[digit read, label, count]], the `kept` most frequent disagreements, most first."""
  counted = collections.Counter(zip(digits[labels != digits].tolist(),
                                    labels[labels != digits].tolist()))
  assert len(pairs) == min(kept, len(counted))
  assert all(counted[(read, label)] == count for read, label, count in pairs)
  counts = [count for _, _, count in pairs]
  assert counts == sorted(counts, reverse=True)
  assert all(count <= counts[-1] for pair, count in counted.items()
             if list(pair) not in [p[:2] for p in pairs])
