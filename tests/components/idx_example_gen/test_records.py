"""TFRecord writing: examples parse back to the same pixels and labels."""

import numpy as np


def test_written_examples_parse_back(tmp_path, mnist_arrays):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from mnist_tfx.components.idx_example_gen import records  # pylint: disable=g-import-not-at-top
  images, labels = mnist_arrays['eval']
  path = str(tmp_path / 'Split-eval' / 'data.gz')
  count = records.write_tfrecords([(images[:10], labels[:10]), (images[10:25], labels[10:25])],
                                  path)
  assert count == 25
  spec = {'pixels': tf.io.FixedLenFeature([784], tf.int64),
          'label': tf.io.FixedLenFeature([1], tf.int64)}
  parsed = [tf.io.parse_single_example(r, spec)
            for r in tf.data.TFRecordDataset(path, compression_type='GZIP')]
  assert len(parsed) == 25
  np.testing.assert_array_equal(np.stack([p['pixels'] for p in parsed]), images[:25])
  np.testing.assert_array_equal(np.concatenate([p['label'] for p in parsed]), labels[:25])
