"""The no-change key: the same while nothing changes, different after any change the
cache would notice (data, code, configuration, served model, artifacts, ML Metadata)."""

import dataclasses
import os
import shutil

import pytest

from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import fingerprint
from mnist_tfx.pipeline import unchanged


@pytest.fixture
def config(tmp_path):
  """A configuration whose folders hold a few files, as after a run."""
  data, outputs = tmp_path / 'data', tmp_path / 'outputs'
  for path in (data / 'train-images-idx3-ubyte.gz', data / 'span-2' / 'train-labels-idx1-ubyte',
               outputs / 'serving' / '1700000000' / 'saved_model.pb',
               outputs / 'serving' / '1700000000' / 'variables' / 'variables.index',
               outputs / 'pipeline' / 'Trainer' / 'model' / '6' / 'saved_model.pb',
               outputs / 'metadata.sqlite'):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'content')
  return configs.PipelineConfig(data_root=str(data), output_dir=str(outputs))


def _key(config):
  return unchanged.key(config, unchanged.inputs_key(config))


def _append(path):
  with open(path, 'ab') as f:
    f.write(b'!')


def test_the_key_is_stable_and_a_stamp_answers_until_something_changes(config):
  assert _key(config) == _key(config)
  assert unchanged.read(config, unchanged.inputs_key(config)) is None  # No run completed yet.
  unchanged.write(config, unchanged.inputs_key(config), 'test accuracy: 0.99\n')
  stamp = unchanged.read(config, unchanged.inputs_key(config))
  assert stamp['outcome'] == 'test accuracy: 0.99\n'
  _append(os.path.join(config.data_root, 'span-2', 'train-labels-idx1-ubyte'))
  assert unchanged.read(config, unchanged.inputs_key(config)) is None
  unchanged.forget(config)
  assert not os.path.exists(os.path.join(config.output_dir, unchanged.STAMP))


@pytest.mark.parametrize('change', [
    'data: a file edited', 'data: a new span', 'configuration',
    'served model: damaged', 'served model: a new version (a push or a rollback)',
    'artifacts: one removed', 'ML Metadata: written'])
def test_each_change_makes_a_new_key(config, change):
  before = _key(config)
  serving = os.path.join(config.output_dir, 'serving')
  if change == 'data: a file edited':
    _append(os.path.join(config.data_root, 'train-images-idx3-ubyte.gz'))
  elif change == 'data: a new span':
    shutil.copytree(os.path.join(config.data_root, 'span-2'),
                    os.path.join(config.data_root, 'span-3'))
  elif change == 'configuration':
    config = dataclasses.replace(config, max_regression=0.001)
  elif change == 'served model: damaged':
    _append(os.path.join(serving, '1700000000', 'variables', 'variables.index'))
  elif change == 'served model: a new version (a push or a rollback)':
    shutil.copytree(os.path.join(serving, '1700000000'), os.path.join(serving, '1700000001'))
  elif change == 'artifacts: one removed':
    os.remove(os.path.join(config.pipeline_root, 'Trainer', 'model', '6', 'saved_model.pb'))
  else:
    _append(config.metadata_path)
  assert _key(config) != before


def test_an_edit_of_the_code_in_any_folder_makes_a_new_key(config, tmp_path, monkeypatch):
  """On a copy of the project's code: the pipeline's own folder counts too."""
  project = tmp_path / 'project'
  for folder in ('lib', 'components', 'trainer_module', 'pipeline'):
    shutil.copytree(os.path.join(fingerprint._PROJECT, folder), project / folder,  # pylint: disable=protected-access
                    ignore=shutil.ignore_patterns('__pycache__'))
  monkeypatch.setattr(fingerprint, '_PROJECT', str(project))
  seen = {_key(config)}
  for edited in ('lib/idx.py', 'components/data_gate/executor.py', 'trainer_module/model.py',
                 'pipeline/pipeline.py', 'pipeline/schema/schema.pbtxt'):
    _append(project / edited)
    seen.add(_key(config))
  assert len(seen) == 6


def test_what_a_run_read_counts_as_it_was_when_the_run_started(config):
  """A file edited while a run reads it: the next run must not take that run's word."""
  inputs = unchanged.inputs_key(config)  # The run starts...
  _append(os.path.join(config.data_root, 'train-images-idx3-ubyte.gz'))  # ...a file changes...
  unchanged.write(config, inputs, 'outcome\n')  # ...and the run completes.
  assert unchanged.read(config, unchanged.inputs_key(config)) is None


def test_object_store_paths_are_never_vouched_for(config):
  """Their files cannot be listed without TensorFlow: such a run always asks TFX."""
  remote = dataclasses.replace(config, data_root='gs://bucket/mnist')
  unchanged.write(remote, unchanged.inputs_key(remote), 'outcome\n')
  assert unchanged.read(remote, unchanged.inputs_key(remote)) is None
