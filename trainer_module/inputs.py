"""Reads examples for Keras: parse and transform in batches, cache, shuffle, batch, prefetch."""

from typing import Tuple

import tensorflow as tf
import tensorflow_transform as tft

from mnist_tfx.lib import features

# The whole MNIST training split (about 190 MB as floats): a full shuffle each epoch.
SHUFFLE_BUFFER = 60_000
_PARSE_BATCH = 1024


def make_dataset(file_patterns, tf_transform_output: tft.TFTransformOutput,
                 batch_size: int) -> tf.data.Dataset:
  """(image, label) batches, in file order, from the gzipped TFRecords of raw examples."""
  return _cached_examples(file_patterns, tf_transform_output).batch(batch_size).prefetch(
      tf.data.AUTOTUNE)


def make_training_dataset(file_patterns, tf_transform_output: tft.TFTransformOutput,
                          batch_size: int, seed=None) -> Tuple[tf.data.Dataset, int]:
  """Shuffled (image, label) batches, reshuffled each epoch, and the number of examples
  (the learning-rate schedule counts steps). Counting reads the records without parsing
  them: about a second for the 60,000 training digits."""
  files = _files(file_patterns)
  examples = int(tf.data.TFRecordDataset(files, compression_type='GZIP').reduce(
      tf.constant(0, tf.int64), lambda count, _: count + 1))
  dataset = (_cached_examples(files, tf_transform_output)
             .shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
             .batch(batch_size).prefetch(tf.data.AUTOTUNE))
  return dataset, examples


def _files(file_patterns):
  return [f for pattern in file_patterns for f in tf.io.gfile.glob(pattern)]


def _cached_examples(file_patterns, tf_transform_output: tft.TFTransformOutput):
  """Raw examples, parsed and transformed in batches by the Transform graph, then cached.

  Transform does not write transformed examples (materialize=False in the pipeline):
  gzipping 70,000 images of 784 floats cost more than applying the graph here, once,
  before the cache.
  """
  spec = tf_transform_output.raw_feature_spec()
  transform = tf_transform_output.transform_features_layer()

  def parse(serialized):
    transformed = transform(tf.io.parse_example(serialized, spec))
    return transformed[features.IMAGE_KEY], transformed[features.LABEL_KEY]

  return (tf.data.TFRecordDataset(_files(file_patterns), compression_type='GZIP')
          .batch(_PARSE_BATCH)
          .map(parse, num_parallel_calls=tf.data.AUTOTUNE)
          .unbatch()
          .cache())
