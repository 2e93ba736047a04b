"""The course's final batch-norm CNN ("Keras and deep learning without a PhD").

Read top to bottom in the order the data flows. Each conv or dense layer has no
bias: the batch norm that follows it adds one (center=True), and its scale is
left to the ReLU's next layer (scale=False), as in the course.
"""

import tensorflow as tf

from mnist_tfx.lib import features
from mnist_tfx.trainer_module import training

DROPOUT = 0.3  # The course's rate: enough to regularize the 200-unit dense layer.


def build_model() -> tf.keras.Model:
  """Conv 3x3x12 /1, conv 6x6x24 /2, conv 6x6x32 /2, dense 200, dropout, softmax 10."""
  layers = tf.keras.layers
  image = tf.keras.Input(shape=features.IMAGE_SHAPE, name=features.IMAGE_KEY)
  x = _conv_bn_relu(image, filters=12, size=3, stride=1)
  x = _conv_bn_relu(x, filters=24, size=6, stride=2)
  x = _conv_bn_relu(x, filters=32, size=6, stride=2)
  x = layers.Flatten()(x)
  x = layers.Dense(200, use_bias=False)(x)
  x = layers.BatchNormalization(center=True, scale=False)(x)
  x = layers.Activation('relu')(x)
  x = layers.Dropout(DROPOUT)(x)
  # float32 under a mixed-precision policy too: a softmax in float16 loses the small
  # probabilities that the cross-entropy needs.
  probabilities = layers.Dense(features.NUM_CLASSES, activation='softmax',
                               name='probabilities', dtype='float32')(x)
  return tf.keras.Model(inputs=image, outputs=probabilities)


def _conv_bn_relu(x, filters: int, size: int, stride: int):
  layers = tf.keras.layers
  x = layers.Conv2D(filters, size, strides=stride, padding='same', use_bias=False)(x)
  x = layers.BatchNormalization(center=True, scale=False)(x)
  return layers.Activation('relu')(x)


def compile_model(model: tf.keras.Model, learning_rate, label_smoothing: float = 0.0) -> None:
  """Adam on the cross-entropy of integer labels, reporting accuracy.

  learning_rate: a number, or a schedule of the step (RecipeSchedule). Under the
  mixed_float16 policy, Keras wraps the optimizer in loss scaling itself.
  label_smoothing: a recipe's (training.Recipe); 0 is the plain cross-entropy.
  """
  model.compile(
      optimizer=tf.keras.optimizers.Adam(learning_rate),
      loss=(SmoothedCrossentropy(label_smoothing) if label_smoothing
            else 'sparse_categorical_crossentropy'),
      metrics=['accuracy'])


class SmoothedCrossentropy(tf.keras.losses.Loss):
  """The cross-entropy against a label smoothed as in Szegedy et al. 2016 (Inception v3):
  `1 - smoothing` on the true digit plus `smoothing` spread over all ten.

  Keras 2's sparse cross-entropy has no smoothing, so the integer labels are made one-hot
  here, as the labels of the categorical one that has it.
  """

  def __init__(self, smoothing: float, name='smoothed_crossentropy', **kwargs):
    super().__init__(name=name, **kwargs)  # Keras's `reduction`, as get_config gives it.
    self.smoothing = smoothing

  def call(self, y_true, y_pred):
    one_hot = tf.one_hot(tf.cast(tf.reshape(y_true, [-1]), tf.int32), features.NUM_CLASSES)
    return tf.keras.losses.categorical_crossentropy(
        one_hot, y_pred, label_smoothing=self.smoothing)

  def get_config(self):
    return {**super().get_config(), 'smoothing': self.smoothing}


class RecipeSchedule(tf.keras.optimizers.schedules.LearningRateSchedule):
  """A recipe's rate per step (training.Recipe.learning_rate), as TensorFlow ops."""

  def __init__(self, recipe: training.Recipe, steps_per_epoch: int, epochs: int):
    super().__init__()
    self.recipe = recipe
    self.steps_per_epoch = steps_per_epoch
    self.epochs = epochs

  def __call__(self, step):
    step = tf.cast(step, tf.float32)
    recipe = self.recipe
    peak = recipe.peak_learning_rate
    if recipe.decay_per_epoch:
      return peak * tf.pow(recipe.decay_per_epoch, tf.floor(step / self.steps_per_epoch))
    warmup = float(max(1, round(recipe.warmup_epochs * self.steps_per_epoch)))
    total = float(self.steps_per_epoch * self.epochs)
    rise = peak * (step + 1) / warmup
    fall = peak * tf.maximum(0.0, (total - step) / (total - warmup + 1))
    return tf.where(step < warmup, rise, fall)

  def get_config(self):
    return {'recipe': self.recipe.name, 'steps_per_epoch': self.steps_per_epoch,
            'epochs': self.epochs}
