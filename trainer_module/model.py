"""The course's final batch-norm CNN ("Keras and deep learning without a PhD").

Read top to bottom in the order the data flows. Each conv or dense layer has no
bias: the batch norm that follows it adds one (center=True), and its scale is
left to the ReLU's next layer (scale=False), as in the course.
"""

import tensorflow as tf

from mnist_tfx.lib import features

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
  probabilities = layers.Dense(features.NUM_CLASSES, activation='softmax',
                               name='probabilities')(x)
  return tf.keras.Model(inputs=image, outputs=probabilities)


def _conv_bn_relu(x, filters: int, size: int, stride: int):
  layers = tf.keras.layers
  x = layers.Conv2D(filters, size, strides=stride, padding='same', use_bias=False)(x)
  x = layers.BatchNormalization(center=True, scale=False)(x)
  return layers.Activation('relu')(x)


def compile_model(model: tf.keras.Model, learning_rate: float) -> None:
  """Adam on the cross-entropy of integer labels, reporting accuracy."""
  model.compile(
      optimizer=tf.keras.optimizers.Adam(learning_rate),
      loss='sparse_categorical_crossentropy',
      metrics=['accuracy'])
