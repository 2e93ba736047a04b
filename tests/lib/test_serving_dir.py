"""The serving directory: versions appear whole, numbered upwards, never overwritten."""

import os
import time

import pytest

from mnist_tfx.lib import contracts
from mnist_tfx.lib import serving_dir
from mnist_tfx.lib.errors import UsageError
from tests.support.folders import snapshot
from tests.support.fresh import run_fresh


def _model(tmp_path):
  model = tmp_path / 'model'
  (model / 'variables').mkdir(parents=True)
  (model / 'saved_model.pb').write_bytes(b'graph')
  (model / 'variables' / 'variables.index').write_bytes(b'index')
  return str(model)


def test_publish_adds_increasing_versions_and_leaves_no_staging(tmp_path):
  serving = str(tmp_path / 'serving')
  assert serving_dir.latest_version(serving) is None
  model = _model(tmp_path)
  first = serving_dir.publish(model, serving)
  second = serving_dir.publish(model, serving)  # Same second: still a new version.
  assert int(second) > int(first)
  assert serving_dir.versions(serving) == [first, second]
  assert sorted(os.listdir(serving)) == sorted([first, second])
  assert os.path.exists(os.path.join(serving, second, 'variables', 'variables.index'))


def test_other_names_are_not_versions(tmp_path):
  serving = tmp_path / 'serving'
  for name in ('7', '12', '.incoming-99', 'notes'):
    (serving / name).mkdir(parents=True)
  assert serving_dir.versions(str(serving)) == ['7', '12']
  assert serving_dir.latest_version(str(serving)) == '12'


def test_object_store_versions_get_their_graph_last(tmp_path, monkeypatch):
  """gs:// has no atomic rename; TensorFlow's ram:// filesystem stands in for it."""
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  copied = []
  real_copy = fileio.copy
  def recording_copy(source, target, overwrite=False):
    if str(target).startswith('ram://'):  # Not the staging copy on the local disk.
      copied.append(os.path.basename(target))
    real_copy(source, target, overwrite)
  monkeypatch.setattr(fileio, 'copy', recording_copy)
  serving = 'ram://serving-test'
  version = serving_dir.publish(_model(tmp_path), serving)
  assert serving_dir.versions(serving) == [version]
  assert sorted(copied) == ['manifest.json', 'saved_model.pb', 'variables.index']
  assert copied[-1] == 'saved_model.pb'
  with fileio.open(f'{serving}/{version}/saved_model.pb', 'rb') as f:
    assert f.read() == b'graph'


def test_a_version_changed_by_hand_is_found_out_naming_the_file(tmp_path):
  serving = str(tmp_path / 'serving')
  model = _model(tmp_path)
  version = serving_dir.publish(model, serving)
  assert serving_dir.problem(serving, version) is None
  assert serving_dir.holds(serving, version, model)
  index = os.path.join(serving, version, 'variables', 'variables.index')
  with open(index, 'ab') as f:
    f.write(b'!')
  assert serving_dir.problem(serving, version) == (
      f'{index}: changed since it was pushed (SHA-256 differs)')
  assert not serving_dir.holds(serving, version, model)
  os.remove(index)
  assert serving_dir.problem(serving, version) == f'{index}: missing'


def test_a_push_left_half_done_is_cleared_by_the_next(tmp_path):
  serving = tmp_path / 'serving'
  (serving / '.incoming-123' / 'variables').mkdir(parents=True)  # A killed push's copy.
  version = serving_dir.publish(_model(tmp_path), str(serving))
  assert os.listdir(serving) == [version]



def test_copy_latest_copies_the_newest_whole_version_or_nothing_saying_why(tmp_path):
  """StartingModel's and ServedModel's start: the artifact holds the served version or stays
  empty (not an older version either), and its properties say which and what was wrong."""
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  serving = str(tmp_path / 'serving')

  def copy(name):
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / name)
    os.makedirs(model.uri)
    found = serving_dir.copy_latest(serving, model)
    assert found == tuple(
        model.get_string_custom_property(key) or None
        for key in (contracts.Property.SERVED_VERSION, contracts.Property.SERVED_PROBLEM))
    return found, sorted(os.listdir(model.uri))

  assert copy('nothing') == ((None, None), [])
  older_model = _model(tmp_path / 'older')
  with open(os.path.join(older_model, 'variables', 'variables.index'), 'wb') as f:
    f.write(b'older')
  serving_dir.publish(older_model, serving)
  newest = serving_dir.publish(_model(tmp_path), serving)
  assert copy('newest') == ((newest, None), ['Format-Serving'])
  copied = tmp_path / 'newest' / 'Format-Serving'
  assert (copied / 'variables' / 'variables.index').read_bytes() == b'index'
  assert serving_dir.problem(str(copied.parent), copied.name) is None  # Manifest included.
  graph = os.path.join(serving, newest, 'saved_model.pb')
  with open(graph, 'ab') as f:
    f.write(b'!')
  assert copy('damaged') == (
      (newest, f'{graph}: changed since it was pushed (SHA-256 differs)'), [])


def _other_model(tmp_path):
  """A second model whose files differ from _model's."""
  model = _model(tmp_path / 'other')
  with open(os.path.join(model, 'variables', 'variables.index'), 'wb') as f:
    f.write(b'other index')
  return model


def test_a_rollback_publishes_a_copy_that_names_the_pushed_version(tmp_path):
  serving = str(tmp_path / 'serving')
  first = serving_dir.publish(_model(tmp_path), serving)
  second = serving_dir.publish(_other_model(tmp_path), serving)
  copy = serving_dir.rollback(serving, first)
  assert serving_dir.versions(serving) == [first, second, copy]
  assert serving_dir.latest_version(serving) == copy
  assert serving_dir.rolled_back_from(serving, copy) == first
  assert serving_dir.rolled_back_from(serving, second) is None
  assert (serving_dir.origin(serving, copy), serving_dir.origin(serving, second)) == (
      first, second)
  assert serving_dir.problem(serving, copy) is None  # Its manifest covers the copy.
  with open(os.path.join(serving, copy, 'variables', 'variables.index'), 'rb') as f:
    assert f.read() == b'index'
  # A copy of a copy names the version a run pushed, which lineage and status follow.
  serving_dir.rollback(serving, second)
  copy_of_copy = serving_dir.rollback(serving, copy)
  assert serving_dir.rolled_back_from(serving, copy_of_copy) == first


def test_a_rollback_to_the_model_served_writes_nothing(tmp_path):
  serving = str(tmp_path / 'serving')
  first = serving_dir.publish(_model(tmp_path), serving)
  second = serving_dir.publish(_other_model(tmp_path), serving)
  before = snapshot(serving)
  assert serving_dir.rollback(serving, second) is None  # The newest: served already.
  assert snapshot(serving) == before
  copy = serving_dir.rollback(serving, first)
  after_copy = snapshot(serving)
  # The version served is a copy of `first`: asking for either serves nothing new.
  assert serving_dir.served_as(serving, first) == serving_dir.served_as(serving, copy) == copy
  assert serving_dir.served_as(serving, second) is None
  assert serving_dir.served_as(serving, '12') is None  # No such version.
  assert serving_dir.rollback(serving, first) is None
  assert serving_dir.rollback(serving, copy) is None
  assert snapshot(serving) == after_copy
  assert serving_dir.versions(serving) == [first, second, copy]


def test_a_rollback_to_an_unknown_version_names_those_there_are(tmp_path):
  serving = str(tmp_path / 'serving')
  first = serving_dir.publish(_model(tmp_path), serving)
  with pytest.raises(UsageError, match=f'no version 12 in {serving} .versions: {first}.'):
    serving_dir.rollback(serving, '12')


def test_published_at_and_output_folder_read_the_layout(tmp_path):
  serving = tmp_path / 'outputs' / 'serving'
  started = time.time()
  version = serving_dir.publish(_model(tmp_path), str(serving))
  assert int(started) <= serving_dir.published_at(version) <= time.time() + 1
  assert serving_dir.output_folder(str(serving / version)) == str(tmp_path / 'outputs')


def test_a_local_serving_folder_is_read_without_tensorflow(tmp_path):
  """status and history list versions and read rollback notes: no TFX, no TensorFlow."""
  serving = str(tmp_path / 'serving')
  first = serving_dir.publish(_model(tmp_path), serving)
  serving_dir.publish(_other_model(tmp_path), serving)
  copy = serving_dir.rollback(serving, first)
  result, imported = run_fresh(
      'import sys\n'
      'from mnist_tfx.lib import serving_dir\n'
      'serving = sys.argv[1]\n'
      'print(serving_dir.versions(serving), serving_dir.latest_version(serving),\n'
      '      serving_dir.origin(serving, serving_dir.latest_version(serving)))\n', serving)
  assert result.stdout == f"{serving_dir.versions(serving)} {copy} {first}\n"
  assert imported == []
