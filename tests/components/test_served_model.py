"""ServedModel's executor on a serving directory of the session's tiny model, published with
lib/serving_dir.publish as a push publishes it: the newest version becomes the baseline;
with nothing served, or a damaged version, the baseline stays empty (the absolute gate
alone decides), or with refuse_corrupt the step stops, naming the damage."""

import os

import pytest

from mnist_tfx.lib import contracts
from tests.support import artifacts
from tests.support import folders

# pylint: disable=g-import-not-at-top  (TFX loads inside the tests, not at collection.)


def _served_model(tmp_path, tiny_trained, serving, refuse_corrupt=0):
  """Runs the executor as the ServedModel step does; its `baseline` artifact."""
  from mnist_tfx.components.served_model.component import ServedModel
  baseline = artifacts.new('Model', tmp_path / 'baseline')
  ServedModel.EXECUTOR_SPEC.executor_class().Do(
      {'candidate': [artifacts.artifact(tiny_trained['model'])]}, {'baseline': [baseline]},
      {'serving_dir': str(serving), 'refuse_corrupt': refuse_corrupt, 'served_problem': ''})
  return baseline


def _properties(baseline):
  return (baseline.get_string_custom_property(contracts.Property.SERVED_VERSION),
          baseline.get_string_custom_property(contracts.Property.SERVED_PROBLEM))


def _damaged(tmp_path, tiny_trained):
  """A whole older version and a newest one whose variables lost a byte; (serving, newest)."""
  serving = tmp_path / 'serving'
  artifacts.publish(tiny_trained['model'], serving, {'assets.extra/older': 'older'},
                    staging=tmp_path)
  newest = artifacts.publish(tiny_trained['model'], serving)
  variables = serving / newest / 'variables'
  data = next(name for name in os.listdir(variables) if name.startswith('variables.data'))
  with open(variables / data, 'r+b') as f:
    f.truncate(os.path.getsize(variables / data) - 1)
  return serving, newest, variables / data


def test_nothing_served_leaves_the_baseline_empty(tmp_path, tiny_trained):
  baseline = _served_model(tmp_path, tiny_trained, tmp_path / 'serving')
  assert _properties(baseline) == ('', '')
  assert os.listdir(baseline.uri) == []


def test_the_newest_served_version_is_the_baseline(tmp_path, tiny_trained):
  serving = tmp_path / 'serving'
  older = artifacts.publish(tiny_trained['model'], serving, {'assets.extra/older': 'older'},
                            staging=tmp_path)
  newest = artifacts.publish(tiny_trained['model'], serving)
  baseline = _served_model(tmp_path, tiny_trained, serving)
  assert _properties(baseline) == (newest, '') and newest != older
  copied = folders.snapshot(os.path.join(baseline.uri, 'Format-Serving'))
  assert copied == folders.snapshot(serving / newest)
  assert 'assets.extra/older' not in copied


def test_a_damaged_version_leaves_the_baseline_empty_saying_why(tmp_path, tiny_trained):
  serving, newest, damaged = _damaged(tmp_path, tiny_trained)
  baseline = _served_model(tmp_path, tiny_trained, serving)
  assert _properties(baseline) == (
      newest, f'{damaged}: changed since it was pushed (SHA-256 differs)')
  assert os.listdir(baseline.uri) == []  # Not the older version either.


def test_refuse_corrupt_stops_naming_the_version_and_the_damage(tmp_path, tiny_trained):
  from mnist_tfx.components.served_model.component import CorruptServedModel
  serving, newest, damaged = _damaged(tmp_path, tiny_trained)
  with pytest.raises(CorruptServedModel) as error:
    _served_model(tmp_path, tiny_trained, serving, refuse_corrupt=1)
  assert str(error.value).startswith(
      f'served version {newest} is damaged: {damaged}: changed since it was pushed')
  assert os.listdir(tmp_path / 'baseline') == []
  # A whole version is judged against, refuse_corrupt or not.
  whole = tmp_path / 'whole'
  version = artifacts.publish(tiny_trained['model'], whole / 'serving')
  baseline = _served_model(whole, tiny_trained, whole / 'serving', refuse_corrupt=1)
  assert _properties(baseline) == (version, '')
