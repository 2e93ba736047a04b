"""Warm start: the served model's weights into the model about to train, when they fit.

The export (signatures.py) saves the Keras model's variables in Keras's order, and beside
them the model's architecture: its layers and their settings, without the names Keras
numbers per process and without the precision policy, which changes no variable. A warm
start compares that record with the new model's own. The same architecture: every
variable, batch-norm statistics included, takes the served value. Any difference (a
changed layer, size, rate or activation), or a served model without the record: the
weights are not taken, and training starts from random weights, saying why.
"""

import json
import os
from typing import List, Optional

import tensorflow as tf

from mnist_tfx.lib import contracts

# Keras's per-layer settings that differ between two builds of the same model.
_NOT_ARCHITECTURE = ('name', 'dtype')


def architecture(model: tf.keras.Model) -> List:
  """[[layer class, its settings]] in order: equal for two builds of the same model."""
  return [[type(layer).__name__,
           {key: value for key, value in layer.get_config().items()
            if key not in _NOT_ARCHITECTURE}]
          for layer in model.layers]


def write_architecture(model: tf.keras.Model, export_dir: str) -> None:
  path = os.path.join(export_dir, contracts.File.ARCHITECTURE)
  tf.io.gfile.makedirs(os.path.dirname(path))
  with tf.io.gfile.GFile(path, 'w') as f:
    # default=str: a few settings are tuples or numpy numbers, compared as text.
    f.write(json.dumps(architecture(model), default=str, sort_keys=True))


def take_served_weights(model: tf.keras.Model, served_dir: str) -> Optional[str]:
  """Assigns the served model's variables to `model`'s; returns None, or why it did not.

  served_dir: the served SavedModel (StartingModel's copy); absent or empty when nothing
  was served.
  """
  if not served_dir or not tf.io.gfile.exists(os.path.join(served_dir, 'saved_model.pb')):
    return 'no model was served when the data arrived'  # Or a damaged one: not copied.
  path = os.path.join(served_dir, contracts.File.ARCHITECTURE)
  if not tf.io.gfile.exists(path):
    return (f'the served model has no {contracts.File.ARCHITECTURE} (exported before warm '
            'start existed), so its architecture is unknown')
  with tf.io.gfile.GFile(path) as f:
    served = json.load(f)
  own = json.loads(json.dumps(architecture(model), default=str, sort_keys=True))
  if served != own:
    return 'the served model has another architecture: ' + _first_difference(served, own)
  variables = tf.saved_model.load(served_dir).model_variables
  shapes = [(tuple(v.shape), v.dtype) for v in variables]
  if shapes != [(tuple(v.shape), v.dtype) for v in model.variables]:
    return 'the served model\'s variables differ in number, shape or type from this model\'s'
  for own_variable, served_variable in zip(model.variables, variables):
    own_variable.assign(served_variable)
  return None


def _first_difference(served: List, own: List) -> str:
  """The first layer that differs, in words."""
  for number, (theirs, ours) in enumerate(zip(served, own), start=1):
    if theirs != ours:
      if theirs[0] != ours[0]:
        return f'layer {number} is a {theirs[0]} there, a {ours[0]} here'
      keys = sorted(key for key in set(theirs[1]) | set(ours[1])
                    if theirs[1].get(key) != ours[1].get(key))
      return f'layer {number} ({ours[0]}) differs in ' + ', '.join(
          f'{key} ({theirs[1].get(key)} there, {ours[1].get(key)} here)' for key in keys)
  return f'{len(served)} layers there, {len(own)} here'
