"""SpanTest's executor: the session's tiny model reads each trained span's own test digits
(IdxExampleGen's test_span_<N> splits of a data root cut from data/mnist); the figures per
span are what its answers give, oldest span first, and none without such a split."""

import collections
import json
import os

import numpy as np

from mnist_tfx.lib import contracts
from tests.support import artifacts
from tests.support import idx_files

# pylint: disable=g-import-not-at-top  (TFX loads inside the tests, not at collection.)


def _examples(folder, tiny_trained, mnist_arrays, own_test_digits):
  """IdxExampleGen's examples of spans 1 to 3, trained on spans 2 and 3, with the session's
  fixed evaluation set; span N gets own_test_digits[N] test digits of its own, if any."""
  from mnist_tfx.components.idx_example_gen.component import IdxExampleGen
  images, labels = mnist_arrays['train']
  test_images, test_labels = mnist_arrays['eval']
  root = folder / 'data'
  start = artifacts.EVAL_DIGITS  # Test digits other than the fixed set's.
  for number in (1, 2, 3):
    arrays = {'train': (images[100 * number:100 * number + 100],
                        labels[100 * number:100 * number + 100])}
    if number in own_test_digits:
      end = start + own_test_digits[number]
      arrays['eval'] = (test_images[start:end], test_labels[start:end])
      start = end
    idx_files.write_data_root(root / f'span-{number}', arrays)
  examples = artifacts.new('Examples', folder / 'examples')
  IdxExampleGen.EXECUTOR_SPEC.executor_class().Do(
      {}, {'examples': [examples]},
      {'data_root': str(root), 'span_window': 2, 'eval_root': tiny_trained['eval_root']})
  return examples


def _span_test(folder, examples, tiny_trained):
  """Runs the executor as the SpanTest step does; what it wrote, checked against its property."""
  from mnist_tfx.components.span_test.component import SpanTest
  span_tests = artifacts.new('File', folder / 'span_tests')
  SpanTest.EXECUTOR_SPEC.executor_class().Do(
      {'examples': [examples], 'model': [artifacts.artifact(tiny_trained['model'])]},
      {'span_tests': [span_tests]}, {})
  with open(os.path.join(span_tests.uri, contracts.File.SPAN_TESTS)) as f:
    written = json.load(f)
  assert json.loads(span_tests.get_string_custom_property(contracts.Property.SPAN_TESTS)) == written
  return written


def test_each_trained_spans_own_test_digits_oldest_first(tmp_path, tiny_trained, mnist_arrays):
  # Span 1 has test digits too, but is not trained on (the window is spans 2 and 3).
  examples = _examples(tmp_path, tiny_trained, mnist_arrays, {1: 50, 2: 150, 3: 100})
  found = _span_test(tmp_path, examples, tiny_trained)
  assert [(f['span'], f['split'], f['digits']) for f in found] == [
      (2, 'test_span_2', 150), (3, 'test_span_3', 100)]
  model = artifacts.serving_model(tiny_trained['model'])
  for figures in found:
    labels, digits = artifacts.answers(model, os.path.join(examples.uri,
                                                           f'Split-{figures["split"]}'))
    assert figures['accuracy'] == np.mean(labels == digits)
    assert figures['per_digit'] == {str(d): np.mean(digits[labels == d] == d)
                                    for d in range(10) if np.any(labels == d)}
    # The five most frequent confusions, [true, predicted, count], most first.
    counted = collections.Counter(zip(labels[labels != digits].tolist(),
                                      digits[labels != digits].tolist()))
    confusions = figures['confusions']
    assert len(confusions) == min(5, len(counted))
    assert all(counted[(true, predicted)] == count for true, predicted, count in confusions)
    assert [c[2] for c in confusions] == sorted(counted.values(), reverse=True)[:5]


def test_no_span_with_test_digits_of_its_own_gives_an_empty_list(
    tmp_path, tiny_trained, mnist_arrays):
  examples = _examples(tmp_path, tiny_trained, mnist_arrays, {})
  assert json.loads(examples.split_names) == ['train', 'eval', 'previous']
  assert _span_test(tmp_path, examples, tiny_trained) == []
