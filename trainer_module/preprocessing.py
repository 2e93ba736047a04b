"""The Transform step: raw pixels to a normalized float image; the same graph serves."""

import tensorflow as tf
import tensorflow_transform as tft

from mnist_tfx.lib import features


def preprocessing_fn(inputs):
  """Pixels (int64 [N, 784]) to a float32 [N, 28, 28, 1] image of zero mean, unit variance.

  The mean and standard deviation are tf.Transform analyzers: computed once over
  the training split, then frozen into the graph that training and serving share.
  """
  pixels = tf.cast(inputs[features.PIXELS_KEY], tf.float32)
  mean = tft.mean(pixels)
  std = tf.sqrt(tft.var(pixels))
  image = tf.reshape((pixels - mean) / std, (-1,) + features.IMAGE_SHAPE)
  return {features.IMAGE_KEY: image, features.LABEL_KEY: inputs[features.LABEL_KEY]}
