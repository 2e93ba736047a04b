"""Reads examples for Keras: parse in batches, cache as bytes, shuffle, batch, transform,
prefetch.

Transform does not write transformed examples (materialize=False in the pipeline):
gzipping 70,000 images of 784 floats cost more than applying its graph here. The cache
and the shuffle buffer hold the raw pixels as uint8 (47 MB for the 60,000 training
digits, against 188 MB as floats), and the Transform graph runs on each batch: a
subtraction and a division, against first touching four times the memory.

tf.data's autotuning is off for both datasets, so AUTOTUNE below means TensorFlow's fixed
defaults. With it on, Keras's new iterator at each epoch (one for training, one for the
evaluation) had to wait for the old one's autotuning thread to leave its timed wait
before the old iterator was freed: up to 16 s of nothing after an epoch, or after the
last one (BENCHMARKS.md, "The stalls"). Off, the gaps were 0.01 s and the epochs no slower.
"""

from typing import Optional, Tuple

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from mnist_tfx.lib import features
from mnist_tfx.trainer_module import augment
from mnist_tfx.trainer_module import training

# The whole MNIST training split: a full shuffle each epoch.
SHUFFLE_BUFFER = 60_000
_PARSE_BATCH = 1024


def make_dataset(file_patterns, tf_transform_output: tft.TFTransformOutput,
                 batch_size: int) -> tf.data.Dataset:
  """(image, label) batches, in file order, from the gzipped TFRecords of raw examples."""
  return _transformed(_cached_raw(_files(file_patterns), tf_transform_output).batch(batch_size),
                      tf_transform_output)


def make_training_dataset(file_patterns, tf_transform_output: tft.TFTransformOutput,
                          batch_size: int, seed=None,
                          augmentation: Optional[training.Augmentation] = None
                          ) -> Tuple[tf.data.Dataset, int]:
  """Shuffled (image, label) batches, reshuffled each epoch, and the number of examples
  (the learning-rate schedule counts steps). Counting reads the records without parsing
  them: about a second for the 60,000 training digits. With an augmentation, each batch's
  raw pixels are moved, turned and scaled at random first (trainer_module/augment.py)."""
  files = _files(file_patterns)
  examples = int(tf.data.TFRecordDataset(files, compression_type='GZIP').batch(
      _PARSE_BATCH).reduce(tf.constant(0, tf.int64),
                           lambda count, batch: count + tf.size(batch, out_type=tf.int64)))
  batches = _cached_raw(files, tf_transform_output).shuffle(
      SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True).batch(batch_size)
  if augmentation is not None:
    batches = tf.data.Dataset.zip((batches, augment.batch_seeds(seed))).map(
        lambda raw, batch_seed: {**raw, features.PIXELS_KEY: augment.augment(
            raw[features.PIXELS_KEY], augmentation, batch_seed)},
        num_parallel_calls=tf.data.AUTOTUNE)
  return _transformed(batches, tf_transform_output), examples


def first_examples(file_patterns, tf_transform_output: tft.TFTransformOutput,
                   count: int) -> Tuple[np.ndarray, np.ndarray]:
  """The first `count` raw examples, in file order: pixels uint8 [count, 784], labels."""
  batch = next(iter(_raw(_files(file_patterns), tf_transform_output).batch(count)))
  return batch[features.PIXELS_KEY].numpy(), batch[features.LABEL_KEY].numpy()


def _files(file_patterns):
  return [f for pattern in file_patterns for f in tf.io.gfile.glob(pattern)]


def _cached_raw(files, tf_transform_output: tft.TFTransformOutput) -> tf.data.Dataset:
  """Raw examples as {pixels: uint8 [784], label: uint8}, cached in memory.

  uint8 holds them exactly: DataGate stopped the run before training unless every
  pixel is in 0..255 and every label in 0..9 (pipeline/schema/schema.pbtxt).
  """
  return _raw(files, tf_transform_output).cache()


def _raw(files, tf_transform_output: tft.TFTransformOutput) -> tf.data.Dataset:
  spec = tf_transform_output.raw_feature_spec()

  def parse(serialized):
    parsed = tf.io.parse_example(serialized, spec)
    return {key: tf.cast(parsed[key], tf.uint8)
            for key in (features.PIXELS_KEY, features.LABEL_KEY)}

  return (tf.data.TFRecordDataset(files, compression_type='GZIP')
          .batch(_PARSE_BATCH)
          .map(parse, num_parallel_calls=tf.data.AUTOTUNE)
          .unbatch())


def _transformed(batches: tf.data.Dataset,
                 tf_transform_output: tft.TFTransformOutput) -> tf.data.Dataset:
  """(image, label) batches through the Transform graph, as serving applies it."""
  transform = tf_transform_output.transform_features_layer()

  def apply(raw):
    transformed = transform({key: tf.cast(value, tf.int64) for key, value in raw.items()})
    return transformed[features.IMAGE_KEY], transformed[features.LABEL_KEY]

  return _untuned(
      batches.map(apply, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))


def _untuned(dataset: tf.data.Dataset) -> tf.data.Dataset:
  """The dataset without tf.data's autotuning thread (see above)."""
  options = tf.data.Options()
  options.autotune.enabled = False
  return dataset.with_options(options)
