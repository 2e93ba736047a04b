"""A reader polling the serving directory while versions are pushed never finds one half-written.

The reader does what TF Serving does: list the numeric folders, take the highest. On a
local disk every version it finds must be whole; on an object store (TensorFlow's ram://
filesystem stands in for gs://) every version with a saved_model.pb must be whole.
"""

import os
import subprocess
import sys
import threading
import time

import pytest

from mnist_tfx.lib import serving_dir
from tests.support.cli_runs import served_versions

pytestmark = pytest.mark.full

PUSHES = 25

_WRITER = '''
import sys
from mnist_tfx.lib import serving_dir
for _ in range(int(sys.argv[3])):
  serving_dir.publish(sys.argv[1], sys.argv[2])
'''


def _newest(folder, listdir, needs_graph, exists):
  names = [name.rstrip('/') for name in listdir(folder)] if exists(folder) else []
  numbers = [n for n in names if n.isdigit()]
  if needs_graph:
    numbers = [n for n in numbers if exists(os.path.join(folder, n, 'saved_model.pb'))]
  return max(numbers, key=int) if numbers else None


def _poll(folder, still_pushing, listdir, exists, needs_graph):
  """Checks the newest version at every poll while pushes go on; returns what it saw.

  A check compares the version's files with its manifest: whole, they are the
  pushed SavedModel byte for byte, which the test loads with TensorFlow before and
  after (a load takes longer than a push, so loading at every poll would see few).
  """
  polls, seen, problems = 0, set(), []
  while still_pushing():
    version = _newest(folder, listdir, needs_graph, exists)
    if version is None:
      continue
    polls += 1
    problem = serving_dir.problem(folder, version)
    if problem is not None:
      problems.append(problem)
    seen.add(version)
  return polls, seen, problems


def _loads(path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return set(tf.saved_model.load(path).signatures) >= {'serving_default', 'serving_pixels'}


def test_on_a_local_disk_each_version_appears_whole(first_run, tmp_path, record):
  model = os.path.join(first_run[0], 'serving', served_versions(first_run[0])[0])
  folder = str(tmp_path / 'serving')
  assert _loads(model)
  writer = subprocess.Popen([sys.executable, '-c', _WRITER, model, folder, str(PUSHES)])
  started = time.time()
  polls, seen, problems = _poll(folder, lambda: writer.poll() is None, os.listdir,
                                os.path.exists, needs_graph=False)
  loaded = _loads(os.path.join(folder, serving_dir.latest_version(folder)))
  record(f'a reader polls serving/ while {PUSHES} versions are pushed (local disk)',
         'every version it finds is whole (its manifest matches)',
         f'{polls} checks of the newest version in {time.time() - started:.1f} s, {len(seen)} '
         f'versions seen, {len(problems)} half-written; the last loads in TensorFlow: '
         f'{loaded}', '')
  assert writer.returncode == 0
  assert len(os.listdir(folder)) == PUSHES
  assert not problems, problems[:3]
  assert len(seen) > PUSHES // 2 and polls > PUSHES and loaded


def _as_gcs_uploads(fileio, monkeypatch):
  """Copies into ram:// appear whole, as objects do on GCS.

  TensorFlow's ram:// shows a file while it is being written; a GCS object appears
  only once its upload completes (GcsWritableFile "writes to a local tmp file and
  copies it to GCS on flush/close": tensorflow/core/platform/cloud/gcs_file_system.cc,
  now tsl/platform/cloud/gcs_file_system.cc). Each copy goes to a hidden name, then
  is renamed into place; the publish code under test is unchanged. The hidden name
  is a prefix, not a suffix: ram:// finds `x` when only `x.suffix` exists.
  """
  copy = fileio.copy

  def upload(source, target, overwrite=False):
    if not str(target).startswith('ram://'):
      return copy(source, target, overwrite=overwrite)
    folder, name = str(target).rsplit('/', 1)
    partial = f'{folder}/.uploading-{name}'
    copy(source, partial, overwrite=True)
    return fileio.rename(partial, target, overwrite=overwrite)
  monkeypatch.setattr(fileio, 'copy', upload)


def test_on_an_object_store_a_version_is_whole_once_its_graph_is_there(
    first_run, record, monkeypatch):
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  _as_gcs_uploads(fileio, monkeypatch)
  model = os.path.join(first_run[0], 'serving', served_versions(first_run[0])[0])
  folder = 'ram://reader-test/serving'
  pushes = 10
  writer = threading.Thread(
      target=lambda: [serving_dir.publish(model, folder) for _ in range(pushes)])
  assert _loads(model)
  writer.start()
  polls, seen, problems = _poll(folder, writer.is_alive, fileio.listdir, fileio.exists,
                                needs_graph=True)
  writer.join()
  loaded = _loads(os.path.join(folder, serving_dir.latest_version(folder)))
  record(f'a reader polls a gs:// serving folder while {pushes} versions are pushed '
         '(ram:// stands in)', 'every version with a saved_model.pb is whole',
         f'{polls} checks of the newest version, {len(seen)} versions seen, {len(problems)} '
         f'half-written; the last loads in TensorFlow: {loaded}', '')
  assert len(serving_dir.versions(folder)) == pushes
  assert not problems, problems[:3]
  assert len(seen) > 1 and polls > pushes and loaded
