"""A split read through serving_default: every record once, in sorted file order, with the
model's digit, by a stand-in SavedModel whose digit is the first pixel's last decimal."""

import os

import numpy as np

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features
from mnist_tfx.lib import split_predictions

# pylint: disable=g-import-not-at-top  (TensorFlow loads inside the test, not at collection.)


def _stand_in_model(model_uri):
  """A Model artifact's folder whose serving_default takes serialized tf.Examples, as the
  Trainer's does, and answers `digit`: the first pixel modulo 10."""
  import tensorflow as tf
  spec = {features.PIXELS_KEY: tf.io.FixedLenFeature([features.PIXELS], tf.int64)}

  class StandIn(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def serve(self, examples):
      return {'digit': tf.io.parse_example(examples, spec)[features.PIXELS_KEY][:, 0] % 10}

  module = StandIn()
  tf.saved_model.save(module, os.path.join(model_uri, 'Format-Serving'),
                      signatures={contracts.Signature.SERVING_DEFAULT: module.serve})


def _write(path, pixels, labels):
  import tensorflow as tf
  with tf.io.TFRecordWriter(str(path), options='GZIP') as writer:
    for row, label in zip(pixels.astype(np.int64), labels):
      writer.write(tf.train.Example(features=tf.train.Features(feature={
          features.PIXELS_KEY: tf.train.Feature(int64_list=tf.train.Int64List(value=row)),
          features.LABEL_KEY: tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
      })).SerializeToString())


def test_every_record_in_sorted_file_order_with_the_models_digit(tmp_path):
  _stand_in_model(str(tmp_path / 'model'))
  rng = np.random.default_rng(0)
  pixels = rng.integers(0, 256, (split_predictions.BATCH + 500, features.PIXELS), np.uint8)
  labels = rng.integers(0, features.NUM_CLASSES, len(pixels))
  split = tmp_path / 'Split-eval'
  split.mkdir()
  # Written last-first, and beside a file that is not a record file: read first-first.
  _write(split / 'data_tfrecord-00001-of-00002.gz', pixels[1000:], labels[1000:])
  _write(split / 'data_tfrecord-00000-of-00002.gz', pixels[:1000], labels[:1000])
  (split / 'notes.txt').write_text('not a record')
  model = split_predictions.load_model(str(tmp_path / 'model'))

  read = split_predictions.predict(model, str(split), pixels=True)
  np.testing.assert_array_equal(read.labels, labels)
  np.testing.assert_array_equal(read.digits, pixels[:, 0] % 10)
  np.testing.assert_array_equal(read.pixels, pixels)
  assert (read.labels.dtype, read.digits.dtype, read.pixels.dtype) == (
      np.int64, np.int64, np.uint8)
  assert split_predictions.predict(model, str(split)).pixels is None
  (tmp_path / 'Split-empty').mkdir()
  empty = split_predictions.predict(model, str(tmp_path / 'Split-empty'))
  assert (empty.labels.shape, empty.digits.shape) == ((0,), (0,))
