"""The Trainer on the augmented recipe, on the session's tiny examples: it trains on moved
digits and serves batch norms measured again on the unmoved ones
(trainer_module/batch_norms.py), as the Evaluator and serving see digits."""

from tests.support import artifacts

# pylint: disable=g-import-not-at-top  (TFX loads inside the test, not at collection.)


def test_the_served_batch_norms_describe_the_unmoved_training_digits(tiny_trained, tmp_path):
  import numpy as np
  import tensorflow as tf
  import tensorflow_transform as tft
  from tfx.components.trainer import executor as trainer_executor
  from tfx.utils import path_utils
  from mnist_tfx.lib import features
  from mnist_tfx.lib.contracts import ComponentId
  from mnist_tfx.trainer_module import augment
  from mnist_tfx.trainer_module import inputs
  from mnist_tfx.trainer_module import model as model_lib
  from mnist_tfx.trainer_module import training
  from mnist_tfx.trainer_module import warm_start
  properties = artifacts.exec_properties(artifacts.pipeline_config(
      tmp_path, recipe='augmented', epochs=1, seed=artifacts.SEED,
      data_root=tiny_trained['data_root'], eval_root=tiny_trained['eval_root']))
  model = artifacts.new('Model', tmp_path / 'model')
  trainer_executor.GenericExecutor().Do(
      {'examples': [artifacts.artifact(tiny_trained['examples'])],
       'transform_graph': [artifacts.artifact(tiny_trained['transform_graph'])],
       'schema': [artifacts.artifact(tiny_trained['schema'])],
       'base_model': [artifacts.artifact(tiny_trained['served'])]},
      {'model': [model], 'model_run': [artifacts.new('ModelRun', tmp_path / 'model_run')]},
      properties[ComponentId.TRAINER])
  served = model_lib.build_model()
  assert warm_start.take_served_weights(
      served, path_utils.serving_model_path(model.uri)) is None
  graph = tft.TFTransformOutput(artifacts.artifact(tiny_trained['transform_graph']).uri)
  unmoved = inputs.make_dataset(
      [artifacts.split_uri(tiny_trained['examples'], 'train') + '/*'], graph, 1000)
  (images, _), = unmoved.take(1)
  # The first batch norm's input is the first convolution's output. Measured in shuffled
  # batches of 128, the mean of the batches' statistics is near that of all 1,000 digits;
  # after 8 steps of Keras's moving average (momentum 0.99) it was 92% the initial 0 and 1.
  first = served.layers[1](images).numpy()
  norm = served.layers[2]
  spread = first.std(axis=(0, 1, 2))
  assert np.all(np.abs(norm.moving_mean.numpy() - first.mean(axis=(0, 1, 2))) <= 0.02 * spread)
  np.testing.assert_allclose(norm.moving_variance.numpy(), first.var(axis=(0, 1, 2)),
                             rtol=0.05)
  # The same digits moved as in training are told apart: measured on them, the statistics
  # would fail the check above.
  pixels, labels = inputs.first_examples(
      [artifacts.split_uri(tiny_trained['examples'], 'train') + '/*'], graph, 1000)
  moved = augment.augment(pixels, training.AUGMENTED.augmentation, np.array([1, 2], np.int64))
  moved_images = graph.transform_features_layer()({
      features.PIXELS_KEY: tf.cast(moved, tf.int64),
      features.LABEL_KEY: tf.cast(labels, tf.int64)})[features.IMAGE_KEY]
  on_moved = served.layers[1](moved_images).numpy().var(axis=(0, 1, 2))
  assert not np.allclose(norm.moving_variance.numpy(), on_moved, rtol=0.05)
