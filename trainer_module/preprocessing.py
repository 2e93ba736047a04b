"""The Transform step: raw pixels to a normalized float image; the same graph serves."""

import tensorflow as tf
import tensorflow_transform as tft

from mnist_tfx.lib import features


def preprocessing_fn(inputs):
  """Pixels (int64 [N, 784]) to a float32 [N, 28, 28, 1] image of zero mean, unit variance.

  The mean and standard deviation come from tf.Transform analyzers: computed once over
  the training split, then frozen into the graph that training and serving share. They
  are built from whole-number sums (of the pixels, of their squares, and their count),
  which are exact however Beam batches the rows. tft.mean and tft.var sum float32s, which
  round on a big batch, and Beam sizes the batches by time: two runs on the same digits
  got constants that differed in their last bits, and so two models from one seed
  (tests/trainer_module/test_preprocessing.py).
  """
  pixels = inputs[features.PIXELS_KEY]
  count = tf.cast(tft.size(pixels), tf.float64)
  mean = tf.cast(tft.sum(pixels), tf.float64) / count
  variance = tf.cast(tft.sum(pixels * pixels), tf.float64) / count - mean * mean
  image = ((tf.cast(pixels, tf.float32) - tf.cast(mean, tf.float32))
           / tf.cast(tf.sqrt(variance), tf.float32))
  return {features.IMAGE_KEY: tf.reshape(image, (-1,) + features.IMAGE_SHAPE),
          features.LABEL_KEY: inputs[features.LABEL_KEY]}
