"""AutoGraph and Keras 2: one rule that TensorFlow 2.16 lacks."""


def skip_keras() -> None:
  """Tells AutoGraph to leave Keras 2's own code alone, as it does for Keras 3.

  TensorFlow 2.16's rules (tensorflow/python/autograph/core/config.py) skip the
  module `keras` but not `tf_keras`, so the first call of each Keras function
  (training, evaluation, the export's traces) converted all of Keras's layers and
  training loop: 22 of the first epoch's 47 s here. There is no public API for a
  module rule; the rule added is the one `keras` has.
  """
  from tensorflow.python.autograph.core import config  # pylint: disable=g-import-not-at-top
  if not any(isinstance(rule, config.DoNotConvert) and rule.matches('tf_keras')
             for rule in config.CONVERSION_RULES):
    config.CONVERSION_RULES = (config.DoNotConvert('tf_keras'),) + config.CONVERSION_RULES
