"""The exported SavedModel: two signatures, both applying the Transform graph.

- serving_default: serialized tf.Examples (TF Serving gRPC/REST predict, TFMA).
- serving_pixels: raw pixel intensities 0-255, [N, 28, 28] or [N, 784], float32
  (JSON numbers, integer or not, are accepted as they are), for REST clients.
Both return `probabilities` [N, 10] and `digit` [N].

Beside them, in assets.extra/, TF Serving's warm-up requests and the answers the
trained model gives to a few test digits (lib/serving_requests.py): the Pusher's canary
checks that the copy it stages gives the same.
"""

import os

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features
from mnist_tfx.lib import serving_requests

# Test digits whose answers the canary checks; the first few are also the warm-up requests.
CHECKED_DIGITS = 32


def export_serving_model(model: tf.keras.Model,
                         tf_transform_output: tft.TFTransformOutput,
                         export_dir: str) -> None:
  """Saves the two signatures with tf.saved_model.save.

  What is saved is a tf.Module holding the Transform layer and the model's variables
  (in Keras's order), not the Keras model: saving that also traced every layer for
  Keras to revive it, which no reader here does (TFMA, TF Serving, predict and the run
  report call the signatures), and took about half of the export's time.
  """
  serving = tf.Module()
  serving.tft_layer = tf_transform_output.transform_features_layer()
  serving.model_variables = list(model.variables)
  raw_spec = tf_transform_output.raw_feature_spec()
  raw_spec.pop(features.LABEL_KEY)

  def predict(raw_features):
    image = serving.tft_layer(raw_features)[features.IMAGE_KEY]
    probabilities = model(image, training=False)
    return {'probabilities': probabilities,
            'digit': tf.argmax(probabilities, axis=1)}

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name='examples')])
  def serve_examples(serialized):
    return predict(tf.io.parse_example(serialized, raw_spec))

  @tf.function(input_signature=[tf.TensorSpec(None, tf.float32, name='pixels')])
  def serve_pixels(pixels):
    flat = tf.reshape(pixels, [-1, features.PIXELS])
    return predict({features.PIXELS_KEY: tf.cast(tf.round(flat), tf.int64)})

  tf.saved_model.save(serving, export_dir, signatures={
      contracts.Signature.SERVING_DEFAULT: serve_examples.get_concrete_function(),
      contracts.Signature.SERVING_PIXELS: serve_pixels.get_concrete_function(),
  })


def write_serving_checks(model: tf.keras.Model, tf_transform_output: tft.TFTransformOutput,
                         pixels: np.ndarray, labels: np.ndarray, export_dir: str) -> None:
  """Writes the warm-up requests and the expected answers into the exported model.

  The answers come from the Keras model in memory, through the Transform layer as
  training applied it, not from the export: so a served copy that answers the same
  shows that the export, the copy and the loader changed nothing.
  """
  transform = tf_transform_output.transform_features_layer()
  raw = {features.PIXELS_KEY: tf.constant(pixels, tf.int64),
         features.LABEL_KEY: tf.constant(labels, tf.int64)}
  probabilities = model(transform(raw)[features.IMAGE_KEY], training=False)
  tf.io.gfile.makedirs(os.path.join(export_dir, os.path.dirname(contracts.File.WARMUP_REQUESTS)))
  serving_requests.write_expected(
      os.path.join(export_dir, contracts.File.EXPECTED_ANSWERS),
      serving_requests.ExpectedAnswers(pixels, labels, np.asarray(probabilities, np.float32)))
  serving_requests.write_warmup(os.path.join(export_dir, contracts.File.WARMUP_REQUESTS), pixels)
