"""Warm start on the shared first run's served version: its weights are taken when the
architecture is the same, and refused, with the reason, when it is not.

The served version is a real export (trainer_module/signatures.py), pushed by a real run.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from mnist_tfx.lib import contracts
from tests.support.cli_runs import served_versions

pytestmark = pytest.mark.full


@pytest.fixture()
def served(first_run, tmp_path):
  """A copy of the first run's served version, to edit."""
  output_dir, _ = first_run
  version = served_versions(output_dir)[0]
  copy = tmp_path / version
  shutil.copytree(os.path.join(output_dir, 'serving', version), copy)
  return str(copy)


def test_the_same_architecture_takes_every_served_variable(served):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import warm_start  # pylint: disable=g-import-not-at-top
  model = model_lib.build_model()
  before = [v.numpy() for v in model.variables]
  assert warm_start.take_served_weights(model, served) is None
  loaded = tf.saved_model.load(served).model_variables
  assert len(loaded) == len(model.variables) == len(before)
  for own, theirs in zip(model.variables, loaded):
    np.testing.assert_array_equal(own.numpy(), theirs.numpy())
  # Batch-norm statistics too: a model warm-started is the served model until it trains.
  moving = [v for v in model.variables if 'moving_mean' in v.name]
  assert moving and all(np.any(v.numpy() != 0) for v in moving)
  assert any(np.any(a != b.numpy()) for a, b in zip(before, model.variables))


def test_a_changed_layer_is_refused_naming_it(served, monkeypatch):
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import warm_start  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(model_lib, 'DROPOUT', 0.5)  # A model change after version 1.
  model = model_lib.build_model()
  before = [v.numpy() for v in model.variables]
  why = warm_start.take_served_weights(model, served)
  assert why == ('the served model has another architecture: layer 15 (Dropout) differs in '
                 'rate (0.3 there, 0.5 here)')
  for own, untouched in zip(model.variables, before):
    np.testing.assert_array_equal(own.numpy(), untouched)


def test_a_layer_of_another_size_is_refused(served):
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import warm_start  # pylint: disable=g-import-not-at-top
  path = os.path.join(served, contracts.File.ARCHITECTURE)
  with open(path) as f:
    layers = json.load(f)
  dense = next(layer for layer in layers if layer[1].get('units') == 200)
  dense[1]['units'] = 100  # As if version 1 had had a dense layer of 100.
  with open(path, 'w') as f:
    json.dump(layers, f)
  why = warm_start.take_served_weights(model_lib.build_model(), served)
  assert why == ('the served model has another architecture: layer 12 (Dense) differs in '
                 'units (100 there, 200 here)')


def test_a_version_exported_before_warm_start_is_refused(served):
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import warm_start  # pylint: disable=g-import-not-at-top
  os.remove(os.path.join(served, contracts.File.ARCHITECTURE))
  why = warm_start.take_served_weights(model_lib.build_model(), served)
  assert why.startswith(f'the served model has no {contracts.File.ARCHITECTURE}')


def test_nothing_served(tmp_path):
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import warm_start  # pylint: disable=g-import-not-at-top
  why = warm_start.take_served_weights(model_lib.build_model(), str(tmp_path))
  assert why == 'no model was served when the data arrived'


# In its own process: logical devices must be set before TensorFlow starts.
_MIRRORED = '''
import sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from mnist_tfx.trainer_module import model as model_lib
from mnist_tfx.trainer_module import warm_start
strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
with strategy.scope():  # As run_fn builds the model on a node with two GPUs.
  model = model_lib.build_model()
  assert warm_start.take_served_weights(model, sys.argv[1]) is None
served = tf.saved_model.load(sys.argv[1]).model_variables
assert type(model.variables[0]).__name__ == 'MirroredVariable'
assert all(np.array_equal(replica.numpy(), theirs.numpy())
           for own, theirs in zip(model.variables, served) for replica in own.values)
print('every replica holds the served weights')
'''


def test_under_a_mirrored_strategy_every_replica_takes_the_served_weights(served):
  """GKE's GPU nodes train under MirroredStrategy; two CPU devices stand in for two GPUs."""
  result = subprocess.run([sys.executable, '-c', _MIRRORED, served], capture_output=True,
                          text=True, check=False,
                          env={**os.environ, 'TF_USE_LEGACY_KERAS': '1'})
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'every replica holds the served weights' in result.stdout
