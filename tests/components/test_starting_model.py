"""StartingModel's executor on a serving directory of the session's tiny model, published with
lib/serving_dir.publish as a push publishes it: the newest version is copied whole; with
nothing served, or a damaged newest version, `served` stays empty and says why."""

import os

import pytest

from mnist_tfx.lib import contracts
from tests.support import artifacts
from tests.support import folders

# pylint: disable=g-import-not-at-top  (TFX loads inside the tests, not at collection.)


def _starting_model(tmp_path, tiny_trained, serving):
  """Runs the executor as the StartingModel step does; its `served` artifact."""
  return artifacts.starting_model(tmp_path, artifacts.artifact(tiny_trained['examples']),
                                  serving)


def _copy(served):
  return folders.snapshot(os.path.join(served.uri, 'Format-Serving'))


def _properties(served):
  return (served.get_string_custom_property(contracts.Property.SERVED_VERSION),
          served.get_string_custom_property(contracts.Property.SERVED_PROBLEM))


def _two_versions(tmp_path, tiny_trained):
  """An older version (the model with one more file) and the newest (the model itself)."""
  serving = tmp_path / 'serving'
  older = artifacts.publish(tiny_trained['model'], serving, {'assets.extra/older': 'older'},
                            staging=tmp_path)
  newest = artifacts.publish(tiny_trained['model'], serving)
  assert int(newest) > int(older)
  return serving, older, newest


@pytest.mark.parametrize('exists', [False, True], ids=['no serving folder', 'empty'])
def test_nothing_served_leaves_served_empty(tmp_path, tiny_trained, exists):
  serving = tmp_path / 'serving'
  if exists:
    serving.mkdir()
  served = _starting_model(tmp_path, tiny_trained, serving)
  assert _properties(served) == ('', '')
  assert os.listdir(served.uri) == []


def test_the_newest_served_version_is_copied_whole(tmp_path, tiny_trained):
  serving, _, newest = _two_versions(tmp_path, tiny_trained)
  served = _starting_model(tmp_path, tiny_trained, serving)
  assert _properties(served) == (newest, '')
  # File for file the newest version, its manifest included; not the older one.
  assert _copy(served) == folders.snapshot(serving / newest)
  assert 'assets.extra/older' not in _copy(served)


def test_a_damaged_newest_version_is_not_used_and_its_problem_is_recorded(
    tmp_path, tiny_trained):
  serving, older, newest = _two_versions(tmp_path, tiny_trained)
  with open(serving / newest / 'saved_model.pb', 'ab') as f:
    f.write(b'!')
  served = _starting_model(tmp_path, tiny_trained, serving)
  version, problem = _properties(served)
  assert version == newest
  assert problem == (f'{serving / newest / "saved_model.pb"}: changed since it was pushed '
                     '(SHA-256 differs)')
  # Neither the damaged version nor the older one: the Trainer starts from random weights.
  assert os.listdir(served.uri) == [] and older != newest
