"""The batch norms measured again after augmented training: each one's moving statistics
become the mean of the batch statistics it normalizes by, and nothing else changes."""

import numpy as np

from tests.support import idx_files

# pylint: disable=g-import-not-at-top  (TensorFlow loads inside the tests, not at collection.)


def _images(count: int) -> np.ndarray:
  pixels, _ = idx_files.read_split('train', count)
  return ((pixels.astype(np.float32) - 33.3) / 78.6).reshape(-1, 28, 28, 1)


def test_each_batch_norm_takes_the_mean_of_its_batch_statistics():
  import tensorflow as tf
  from mnist_tfx.trainer_module import batch_norms
  from mnist_tfx.trainer_module import model as model_lib
  tf.keras.utils.set_random_seed(1)
  model = model_lib.build_model()
  trainable = [v.numpy() for v in model.trainable_variables]
  images = _images(300)  # Batches of 128, 128 and 44: the short one counts as one batch.
  batches = batch_norms.reestimate(model, tf.data.Dataset.from_tensor_slices(images).batch(128),
                                   tf.distribute.get_strategy())
  assert batches == 3
  # The first batch norm normalizes the first convolution's output, whatever the mode.
  # (Before: moving means 0 and variances 1. The tolerances allow for float32 sums taken
  # in another order.)
  convolution, norm = model.layers[1], model.layers[2]
  outputs = [convolution(images[start:start + 128]).numpy() for start in (0, 128, 256)]
  np.testing.assert_allclose(norm.moving_mean.numpy(),
                             np.mean([x.mean(axis=(0, 1, 2)) for x in outputs], axis=0),
                             rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(norm.moving_variance.numpy(),
                             np.mean([x.var(axis=(0, 1, 2)) for x in outputs], axis=0),
                             rtol=1e-3)
  # The dense layer's batch norm too: its input is what the layers before give in training.
  dense_norm = model.layers[-4]
  assert isinstance(dense_norm, tf.keras.layers.BatchNormalization)
  before_norm = tf.keras.Model(model.inputs, dense_norm.input)
  dense_inputs = [before_norm(images[start:start + 128], training=True).numpy()
                  for start in (0, 128, 256)]
  np.testing.assert_allclose(dense_norm.moving_mean.numpy(),
                             np.mean([x.mean(axis=0) for x in dense_inputs], axis=0),
                             rtol=1e-3, atol=1e-5)
  np.testing.assert_allclose(dense_norm.moving_variance.numpy(),
                             np.mean([x.var(axis=0) for x in dense_inputs], axis=0), rtol=1e-3)
  for before, after in zip(trainable, model.trainable_variables):
    np.testing.assert_array_equal(before, after.numpy())

