"""IdxExampleGen's executor on a data root of two spans cut from data/mnist: each split from
its own files, the training data cut by train_limit and the test digits read whole, what was
read recorded with its SHA-256, and a bad file stops it naming the file."""

import hashlib
import json
import os

import numpy as np
import pytest

from mnist_tfx.lib import contracts
from mnist_tfx.lib import spans
from mnist_tfx.lib.errors import DataError
from tests.support import artifacts
from tests.support import idx_files

# pylint: disable=g-import-not-at-top  (TFX loads inside the tests, not at collection.)

LIMIT = 250  # --train-limit: of 300 training digits per span.


def _data_root(folder, mnist_arrays):
  """Span 1 (IDX files in the root): 300 training digits and the fixed set's 200 test digits;
  span-2/: 300 other training digits and 100 test digits of its own. {split: arrays}."""
  images, labels = mnist_arrays['train']
  test_images, test_labels = mnist_arrays['eval']
  arrays = {'previous': (images[:300], labels[:300]), 'train': (images[300:600], labels[300:600]),
            'eval': (test_images[:200], test_labels[:200]),
            'test_span_2': (test_images[200:300], test_labels[200:300])}
  idx_files.write_data_root(folder, {'train': arrays['previous'], 'eval': arrays['eval']})
  idx_files.write_data_root(folder / 'span-2', {'train': arrays['train'],
                                                'eval': arrays['test_span_2']})
  return arrays


def _generate(folder, **parameters):
  from mnist_tfx.components.idx_example_gen.component import IdxExampleGen
  examples = artifacts.new('Examples', folder / 'examples')
  IdxExampleGen.EXECUTOR_SPEC.executor_class().Do({}, {'examples': [examples]}, parameters)
  return examples


def _read(examples, split):
  """(pixels [n, 784], labels [n]) of a split, in file order."""
  import tensorflow as tf
  from tfx.types import artifact_utils
  folder = artifact_utils.get_split_uri([examples], split)
  assert os.listdir(folder) == ['data_tfrecord-00000-of-00001.gz']
  spec = {'pixels': tf.io.FixedLenFeature([784], tf.int64),
          'label': tf.io.FixedLenFeature([], tf.int64)}
  batches = [tf.io.parse_example(batch, spec) for batch in tf.data.TFRecordDataset(
      tf.io.gfile.glob(os.path.join(folder, '*.gz')), compression_type='GZIP').batch(1000)]
  return (np.concatenate([b['pixels'].numpy() for b in batches]),
          np.concatenate([b['label'].numpy() for b in batches]))


def _sha256(path):
  with open(path, 'rb') as f:
    return hashlib.sha256(f.read()).hexdigest()


def test_each_split_is_read_from_its_own_files(tmp_path, mnist_arrays):
  from tfx.types import artifact_utils
  arrays = _data_root(tmp_path / 'data', mnist_arrays)
  examples = _generate(tmp_path, data_root=str(tmp_path / 'data'), train_limit=LIMIT)
  assert artifact_utils.decode_split_names(examples.split_names) == [
      'train', 'eval', 'previous', 'test_span_2']
  assert examples.span == 2  # The newest span read.
  # train_limit cuts the training data (train, and previous compared with it), not test digits.
  expected = {split: (images[:LIMIT], labels[:LIMIT]) if split in ('train', 'previous')
              else (images, labels) for split, (images, labels) in arrays.items()}
  for split, (images, labels) in expected.items():
    read = _read(examples, split)
    np.testing.assert_array_equal(read[0], images, err_msg=split)
    np.testing.assert_array_equal(read[1], labels, err_msg=split)
  assert json.loads(examples.get_string_custom_property(
      contracts.Property.EXAMPLE_COUNTS)) == {'train': LIMIT, 'eval': 200, 'previous': LIMIT,
                                               'test_span_2': 100}
  assert examples.get_string_custom_property('payload_format') == 'FORMAT_TF_EXAMPLE'
  # What was read, per split: the span and each file with its SHA-256.
  read = json.loads(examples.get_string_custom_property(contracts.Property.SPANS))
  span_of = {'train': 2, 'eval': 1, 'previous': 1, 'test_span_2': 2}
  for split, number in span_of.items():
    folder = tmp_path / 'data' / ('span-2' if number == 2 else '')
    prefix = 't10k' if split in ('eval', 'test_span_2') else 'train'
    files = [os.path.normpath(folder / f'{prefix}-{kind}.gz')
             for kind in ('images-idx3-ubyte', 'labels-idx1-ubyte')]
    assert read[split] == [{'span': number, 'files': {path: _sha256(path) for path in files}}]


def test_a_span_window_of_two_trains_on_both_spans_in_order(tmp_path, mnist_arrays):
  arrays = _data_root(tmp_path / 'data', mnist_arrays)
  examples = _generate(tmp_path, data_root=str(tmp_path / 'data'), span_window=2)
  images, labels = _read(examples, 'train')
  np.testing.assert_array_equal(images, np.concatenate([arrays['previous'][0],
                                                        arrays['train'][0]]))
  np.testing.assert_array_equal(labels, np.concatenate([arrays['previous'][1],
                                                        arrays['train'][1]]))
  read = json.loads(examples.get_string_custom_property(contracts.Property.SPANS))
  assert [part['span'] for part in read['train']] == [1, 2]
  # Span 1's own t10k pair is the fixed set: not a span test. Span 2's is.
  assert spans.span_test_split(1) not in read and read['test_span_2'][0]['span'] == 2


@pytest.mark.parametrize('case', ['truncated labels', 'label outside 0-9'])
def test_a_bad_file_stops_it_naming_the_file(tmp_path, mnist_arrays, case):
  make, which, words = idx_files.BAD_PAIRS[case]
  images, labels = mnist_arrays['train']
  root = tmp_path / 'data'
  idx_files.write_data_root(root, {'train': (images[:300], labels[:300]),
                                   'eval': mnist_arrays['eval']})
  image_bytes, label_bytes = make((images[300:600], labels[300:600]))
  os.makedirs(root / 'span-2')
  written = {'images': idx_files.write(root / 'span-2' / 'train-images-idx3-ubyte', image_bytes),
             'labels': idx_files.write(root / 'span-2' / 'train-labels-idx1-ubyte', label_bytes)}
  with pytest.raises(DataError) as error:
    _generate(tmp_path, data_root=str(root))
  assert os.path.normpath(error.value.path) == os.path.normpath(written[which])
  assert words in error.value.problem
