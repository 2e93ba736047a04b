"""The batch norms' moving statistics, measured again on the digits as they are.

Training moves each digit at random (trainer_module/augment.py), so the moving means
and variances that the batch norms collect during training describe moved digits. The
Evaluator and serving see the digits unmoved, and the batch norms normalize those with
statistics of another distribution. Once training is done, `reestimate` measures them
again on the unmoved training digits, with the weights as trained: "precise BN" (Wu and
Johnson, "Rethinking 'Batch' in BatchNorm", 2021), the mean over all batches of what
each batch norm normalizes by in training, where Keras's moving average weighs the last
hundred or so batches.
"""

import numpy as np
import tensorflow as tf


def reestimate(model: tf.keras.Model, images: tf.data.Dataset,
               strategy: tf.distribute.Strategy) -> int:
  """Sets each batch norm's moving mean and variance to the mean, over the batches of
  `images`, of the batch mean and variance it normalizes by in training. Returns the
  number of batches. Nothing else in the model changes.

  Under several GPUs each one's share of a batch counts as a batch, as each normalized
  its share by its own statistics in training; an empty share counts for nothing.
  """
  norms = [layer for layer in model.layers
           if isinstance(layer, tf.keras.layers.BatchNormalization)]
  # What reaches each batch norm in training: every earlier batch norm normalizes by
  # its batch's statistics, as it did while the weights were learned.
  probe = tf.keras.Model(model.inputs, [norm.input for norm in norms])

  def share_moments(share):
    """[1 or 0 shares, then each batch norm's mean and variance]: zeros, without running
    the model, for an empty share (a last batch of fewer digits than GPUs leaves some of
    them none)."""

    def measured():
      moments = [tf.ones([])]
      for x in probe(share, training=True):
        x = tf.cast(x, tf.float32)  # Under a mixed-precision policy too.
        moments.extend(tf.nn.moments(x, axes=list(range(len(x.shape) - 1))))
      return moments

    def empty():
      return [tf.zeros([])] + [tf.zeros(v.shape) for norm in norms
                               for v in (norm.moving_mean, norm.moving_variance)]

    return tf.cond(tf.shape(share)[0] > 0, measured, empty)

  @tf.function
  def step(batch):
    per_replica = strategy.run(share_moments, args=(batch,))
    return [strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)
            for value in per_replica]

  shares = 0.0
  sums = [np.zeros(v.shape, np.float64)
          for norm in norms for v in (norm.moving_mean, norm.moving_variance)]
  batches = 0
  for batch in strategy.experimental_distribute_dataset(images):
    batch_shares, *batch_sums = step(batch)
    shares += float(batch_shares)
    for total, value in zip(sums, batch_sums):
      total += value.numpy()
    batches += 1
  if not shares:
    raise ValueError('no digits to measure the batch norms on')
  for i, norm in enumerate(norms):
    norm.moving_mean.assign(sums[2 * i] / shares)
    norm.moving_variance.assign(sums[2 * i + 1] / shares)
  return batches
