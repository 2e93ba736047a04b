"""The augmented recipe's random shifts, turns and zooms of the training digits.

Only the Trainer's training data is augmented (trainer_module/inputs.py): Transform's
statistics, the evaluation data and the serving signatures see the digits as they are.
It acts on the raw pixels, before the Transform graph, so that what a move uncovers is
blank paper (0), as around every MNIST digit; the result is rounded back to whole
intensities, which is what the graph takes.
"""

import math

import tensorflow as tf

from mnist_tfx.trainer_module import training

_SIDE = 28
_CENTRE = (_SIDE - 1) / 2


def batch_seeds(seed=None) -> tf.data.Dataset:
  """One seed for `augment` per batch, zipped beside the batches: the same sequence for
  the same `seed`, and a new one each epoch (each iterator Keras makes)."""
  return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)


def augment(pixels: tf.Tensor, augmentation: training.Augmentation,
            seed: tf.Tensor) -> tf.Tensor:
  """[batch, 784] pixels 0..255, each digit moved, turned and scaled at random; uint8.

  The draws are stateless, fixed by `seed` (shape [2]): a stateful random op in a
  parallel map hands its draws to whichever batch asks first, so a seeded run would not
  repeat (make_training_dataset gives each batch its own seed).
  """
  images = tf.reshape(tf.cast(pixels, tf.float32), [-1, _SIDE, _SIDE, 1])
  count = tf.shape(images)[0]
  draws = tf.random.stateless_uniform([4, count], seed, -1.0, 1.0)
  angle = draws[0] * math.radians(augmentation.rotation_degrees)
  scale = 1.0 + draws[1] * augmentation.zoom
  shift_x, shift_y = draws[2] * augmentation.shift * _SIDE, draws[3] * augmentation.shift * _SIDE
  # Where each output pixel reads from: the inverse of "scale and turn about the centre,
  # then move", as ImageProjectiveTransformV3 takes it (a0 a1 a2 b0 b1 b2 c0 c1).
  cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
  from_x, from_y = _CENTRE + shift_x, _CENTRE + shift_y
  zeros = tf.zeros([count])
  transforms = tf.stack([cos, sin, _CENTRE - cos * from_x - sin * from_y,
                         -sin, cos, _CENTRE + sin * from_x - cos * from_y,
                         zeros, zeros], axis=1)
  moved = tf.raw_ops.ImageProjectiveTransformV3(
      images=images, transforms=transforms, output_shape=[_SIDE, _SIDE], fill_value=0.0,
      interpolation='BILINEAR', fill_mode='CONSTANT')
  return tf.cast(tf.clip_by_value(tf.round(tf.reshape(moved, [-1, _SIDE * _SIDE])), 0, 255),
                 tf.uint8)
