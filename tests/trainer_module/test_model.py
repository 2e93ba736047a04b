"""The course's CNN, layer by layer, with Keras' parameter count; the smoothed loss."""

import numpy as np


def test_layers_and_parameter_count():
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  model = model_lib.build_model()
  assert model.count_params() == 354_538
  kinds = [(type(layer).__name__, layer.get_config()) for layer in model.layers[1:]]
  names = [kind for kind, _ in kinds]
  assert names == ['Conv2D', 'BatchNormalization', 'Activation'] * 3 + [
      'Flatten', 'Dense', 'BatchNormalization', 'Activation', 'Dropout', 'Dense']
  convs = [c for kind, c in kinds if kind == 'Conv2D']
  assert [(c['filters'], c['kernel_size'], c['strides'], c['use_bias']) for c in convs] == [
      (12, (3, 3), (1, 1), False), (24, (6, 6), (2, 2), False), (32, (6, 6), (2, 2), False)]
  norms = [c for kind, c in kinds if kind == 'BatchNormalization']
  assert all(c['center'] and not c['scale'] for c in norms)
  dense_200, dense_10 = [c for kind, c in kinds if kind == 'Dense']
  assert (dense_200['units'], dense_200['use_bias']) == (200, False)
  assert (dense_10['units'], dense_10['activation']) == (10, 'softmax')
  assert [c['rate'] for kind, c in kinds if kind == 'Dropout'] == [0.3]
  assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)


def test_label_smoothing_spreads_a_tenth_over_the_ten_digits():
  """The augmented recipe's loss, against the cross-entropy worked out by hand; with no
  smoothing, the plain sparse cross-entropy of the other recipes."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import training  # pylint: disable=g-import-not-at-top

  probabilities = np.random.default_rng(0).dirichlet(np.ones(10), size=4).astype(np.float32)
  labels = np.array([[3], [0], [9], [3]])
  target = np.full((4, 10), 0.01)
  target[np.arange(4), labels.ravel()] = 0.91
  by_hand = np.mean(-np.sum(target * np.log(probabilities), axis=1))

  smoothing = training.AUGMENTED.label_smoothing
  assert smoothing == 0.1
  model = model_lib.build_model()
  model_lib.compile_model(model, 0.01, smoothing)
  assert np.isclose(float(model.loss(labels, probabilities)), by_hand, rtol=1e-5)
  model_lib.compile_model(model, 0.01, training.FAST.label_smoothing)
  assert model.loss == 'sparse_categorical_crossentropy'
  plain = tf.keras.losses.sparse_categorical_crossentropy(labels, probabilities)
  assert np.isclose(float(model_lib.SmoothedCrossentropy(0.0)(labels, probabilities)),
                    float(tf.reduce_mean(plain)), rtol=1e-5)


def test_the_smoothed_loss_revives_from_its_config():
  """get_config gives Keras's own keys (reduction) beside the smoothing; from_config takes
  them back, as Keras does when it revives a compiled model."""
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  loss = model_lib.SmoothedCrossentropy(0.1)
  revived = model_lib.SmoothedCrossentropy.from_config(loss.get_config())
  probabilities = np.random.default_rng(1).dirichlet(np.ones(10), size=4).astype(np.float32)
  labels = np.array([[3], [0], [9], [3]])
  assert revived.smoothing == 0.1
  assert np.isclose(float(revived(labels, probabilities)), float(loss(labels, probabilities)))
