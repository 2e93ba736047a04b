"""The batch norms measured again after augmented training: each one's moving statistics
become the mean of the batch statistics it normalizes by, and nothing else changes."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

from tests.support import idx_files

# pylint: disable=g-import-not-at-top  (TensorFlow loads inside the tests, not at collection.)


def _images(count: int) -> np.ndarray:
  """Digits normalized about as Transform does (MNIST's mean pixel 33.3, deviation 78.6)."""
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


# Two GPUs' worth of replicas, as two logical CPUs. MirroredStrategy splits each batch of
# 256 in two; the last batch, of one digit, goes to the first replica and leaves the second
# an empty share. Its own process: logical devices are set before TensorFlow starts.
_MIRRORED = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    cpu, = tf.config.list_physical_devices('CPU')
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from mnist_tfx.trainer_module import batch_norms
    from mnist_tfx.trainer_module import model as model_lib
    images = np.load(sys.argv[1])
    strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
    with strategy.scope():
      tf.keras.utils.set_random_seed(1)
      model = model_lib.build_model()
    batches = batch_norms.reestimate(
        model, tf.data.Dataset.from_tensor_slices(images).batch(256), strategy)
    convolution, norm = model.layers[1], model.layers[2]
    shares = [convolution(images[start:end]).numpy()
              for start, end in ((0, 128), (128, 256), (256, 257))]
    print(json.dumps({
        'batches': batches, 'replicas': strategy.num_replicas_in_sync,
        'mean': norm.moving_mean.numpy().tolist(),
        'variance': norm.moving_variance.numpy().tolist(),
        'share_mean': np.mean([x.mean(axis=(0, 1, 2)) for x in shares], axis=0).tolist(),
        'share_variance': np.mean([x.var(axis=(0, 1, 2)) for x in shares], axis=0).tolist(),
        'finite': all(bool(np.isfinite(v.numpy()).all()) for v in model.variables)}))
    """)


def test_an_empty_share_of_a_batch_counts_for_nothing_under_two_replicas(tmp_path):
  """Under MirroredStrategy each replica's share of a batch is one batch's statistics. An
  empty share has none: counted, it failed the step (checked on the first version)."""
  images = tmp_path / 'images.npy'
  np.save(images, _images(257))
  script = tmp_path / 'mirrored.py'
  script.write_text(_MIRRORED)
  result = subprocess.run(
      [sys.executable, str(script), str(images)], capture_output=True, text=True, check=False,
      cwd=idx_files.PROJECT,
      env=dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2'), timeout=300)
  assert result.returncode == 0, result.stderr[-2000:]
  measured = json.loads(result.stdout.strip().splitlines()[-1])
  assert (measured['batches'], measured['replicas'], measured['finite']) == (2, 2, True)
  np.testing.assert_allclose(measured['mean'], measured['share_mean'], rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(measured['variance'], measured['share_variance'], rtol=1e-3)
