"""The exported SavedModel: two signatures, both applying the Transform graph.

- serving_default: serialized tf.Examples (TF Serving gRPC/REST predict, TFMA).
- serving_pixels: raw pixel intensities 0-255, [N, 28, 28] or [N, 784], float32
  (JSON numbers, integer or not, are accepted as they are), for REST clients.
Both return `probabilities` [N, 10] and `digit` [N].
"""

import tensorflow as tf
import tensorflow_transform as tft

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features


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
