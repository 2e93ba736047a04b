"""keras_autograph.skip_keras against TensorFlow's AutoGraph, whose module rules it extends
(an internal of TensorFlow 2.16: there is no public API for a module rule)."""

# pylint: disable=g-import-not-at-top  (TensorFlow loads inside the test, not at collection.)


def test_keras_2s_code_is_left_alone_as_keras_3s_is():
  from tensorflow.python.autograph.core import config
  from tensorflow.python.autograph.impl import conversion
  import tf_keras
  from mnist_tfx.trainer_module import keras_autograph
  keras_autograph.skip_keras()
  keras_autograph.skip_keras()  # Once is enough: the rule is not added twice.
  assert sum(rule.matches('tf_keras') for rule in config.CONVERSION_RULES) == 1
  assert any(rule.matches('keras') for rule in config.CONVERSION_RULES)  # TensorFlow's own.
  # AutoGraph's own question for each function it meets: Keras 2's training loop is skipped.
  assert conversion.is_allowlisted(tf_keras.Model.fit)
