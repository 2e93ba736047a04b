"""Reads transformed examples for Keras: parse in batches, cache, shuffle, batch, prefetch."""

import tensorflow as tf
import tensorflow_transform as tft

from mnist_tfx.lib import features

# The whole MNIST training split (about 190 MB as floats): a full shuffle each epoch.
SHUFFLE_BUFFER = 60_000
_PARSE_BATCH = 1024


def make_dataset(file_patterns, tf_transform_output: tft.TFTransformOutput,
                 batch_size: int, shuffle: bool, seed=None) -> tf.data.Dataset:
  """(image, label) batches from the gzipped TFRecords Transform wrote."""
  files = [f for pattern in file_patterns for f in tf.io.gfile.glob(pattern)]
  spec = tf_transform_output.transformed_feature_spec()

  def parse(serialized):
    parsed = tf.io.parse_example(serialized, spec)
    return parsed[features.IMAGE_KEY], parsed[features.LABEL_KEY]

  dataset = (tf.data.TFRecordDataset(files, compression_type='GZIP')
             .batch(_PARSE_BATCH)
             .map(parse, num_parallel_calls=tf.data.AUTOTUNE)
             .unbatch()
             .cache())
  if shuffle:
    dataset = dataset.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
  return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
