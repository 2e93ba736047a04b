"""The TF Serving model directory: numbered versions under one base path.

TF Serving loads the highest numeric subdirectory and ignores any other name. On a
local disk a version is copied under a hidden name, checked there (the Pusher's
canary), and renamed into place, so a reader sees it whole or not at all. Object
stores (gs://) have no atomic rename (fileio.rename copies object by object), so
there the version is staged and checked on the local disk, then written in place
with saved_model.pb last: until that file exists TF Serving cannot load the
version (it retries a failed load), and once it exists every other file does.

Each version carries a manifest, the SHA-256 of every file of the SavedModel, so
that a version changed by hand (or by a bad disk) is noticed before it is trusted
as the baseline a new model must beat.

What is served is read from a local folder without TFX's fileio, which imports
TensorFlow (seconds): `status` and `history` only list versions and read notes.
fileio is imported where a function copies, hashes or reaches an object store.
"""

import hashlib
import json
import os
import shutil
import tempfile
import time
from typing import Callable, Dict, Optional, Tuple

from mnist_tfx.lib import contracts
from mnist_tfx.lib import files
from mnist_tfx.lib.errors import UsageError

_INCOMING_PREFIX = '.incoming-'
_GRAPH_FILE = 'saved_model.pb'
# TF Serving ignores this folder of a version: our notes about the version go there.
_EXTRA = 'assets.extra'
# Inside a rolled-back version: the version it copies.
ROLLBACK_NOTE = os.path.join(_EXTRA, 'rolled_back_from')
MANIFEST = os.path.join(_EXTRA, 'manifest.json')
_NOTES = (MANIFEST, ROLLBACK_NOTE)

# pylint: disable=g-import-not-at-top  (fileio imports TensorFlow: only where it is needed.)


def versions(serving_dir: str) -> list:
  """The numeric version names under serving_dir, oldest first."""
  if '://' not in serving_dir:
    names = os.listdir(serving_dir) if os.path.isdir(serving_dir) else []
    return sorted((n for n in names if n.isdigit()), key=int)
  from tfx.dsl.io import fileio
  if not fileio.isdir(serving_dir):
    return []
  names = [name.rstrip('/') for name in fileio.listdir(serving_dir)]
  # Written in place: a version exists once its graph does.
  found = [n for n in names
           if n.isdigit() and fileio.exists(os.path.join(serving_dir, n, _GRAPH_FILE))]
  return sorted(found, key=int)


def latest_version(serving_dir: str) -> Optional[str]:
  """The version TF Serving serves: the highest number, or None if there is none."""
  found = versions(serving_dir)
  return found[-1] if found else None


def copy_latest(serving_dir: str, model) -> Tuple[Optional[str], Optional[str]]:
  """Copies the served version into a Model artifact (Format-Serving) if it is whole.

  StartingModel and ServedModel both start this way. With nothing served, or a damaged
  version, the artifact stays empty (not an older version either: that is not what is
  served). Sets its `served_version` ('' if none) and `served_problem` (why the version
  was not copied, '' if it was); returns them as (version, problem), None for ''.
  """
  from tfx.utils import io_utils
  from tfx.utils import path_utils
  version = latest_version(serving_dir)
  damage = problem(serving_dir, version) if version is not None else None
  model.set_string_custom_property(contracts.Property.SERVED_VERSION, version or '')
  model.set_string_custom_property(contracts.Property.SERVED_PROBLEM, damage or '')
  if version is not None and damage is None:
    io_utils.copy_dir(os.path.join(serving_dir, version),
                      path_utils.serving_model_path(model.uri))
  return version, damage


class NotPublished(Exception):
  """The staged version failed its check: it was removed, and the served version is untouched."""


def publish(model_dir: str, serving_dir: str, note: Optional[Dict[str, str]] = None,
            check: Optional[Callable[[str], Optional[str]]] = None) -> str:
  """Copies a SavedModel in as a new version, atomically; returns the version name.

  The version is the Unix time in seconds, or one more than the latest version
  when that is not higher (two pushes in one second). `note` maps paths inside
  the version to text written with it. `check` is given the staged copy, notes
  included, before anything is visible: a returned reason raises NotPublished.
  On an object store the copy is staged on the local disk, so that a version that
  fails its check never lands in the bucket.
  """
  from tfx.dsl.io import fileio
  from tfx.utils import io_utils
  latest = latest_version(serving_dir)
  version = str(max(int(time.time()), int(latest or 0) + 1))
  final = os.path.join(serving_dir, version)
  notes = {MANIFEST: json.dumps(manifest(model_dir), indent=1, sort_keys=True), **(note or {})}
  remote = '://' in serving_dir
  if remote:
    staging_root = tempfile.mkdtemp(prefix='mnist-tfx-push-')
    staged = os.path.join(staging_root, version)
  else:
    _remove_leftovers(serving_dir)
    staged = os.path.join(serving_dir, f'{_INCOMING_PREFIX}{version}')
  try:
    io_utils.copy_dir(model_dir, staged)
    _write_notes(staged, notes)
    reason = check(staged) if check else None
    if reason:
      raise NotPublished(reason)
    if remote:
      _copy_graph_last(staged, final)
    else:
      fileio.rename(staged, final)
  except BaseException:  # A failed check or a full disk: leave the directory as it was.
    if not remote and fileio.exists(staged):
      fileio.rmtree(staged)
    raise
  finally:
    if remote:
      shutil.rmtree(staging_root, ignore_errors=True)
  return version


def manifest(model_dir: str) -> Dict[str, str]:
  """{path inside the SavedModel: SHA-256} of every file but the publish's own notes.

  The Trainer's files in assets.extra/ (TF Serving's warm-up requests, the expected
  answers) are covered: TF Serving replays the warm-up file when it loads the version.
  """
  from tfx.dsl.io import fileio
  found = {}
  for directory, _, names in fileio.walk(model_dir):
    for name in names:
      path = os.path.join(directory, name)
      relative = os.path.relpath(path, model_dir)
      if relative not in _NOTES:
        found[relative] = _sha256(path)
  return found


def problem(serving_dir: str, version: str) -> Optional[str]:
  """Why `version` cannot be trusted (missing or changed files), or None if it is whole."""
  from tfx.dsl.io import fileio
  path = os.path.join(serving_dir, version)
  if not fileio.exists(os.path.join(path, _GRAPH_FILE)):
    return f'{path}: no {_GRAPH_FILE}'
  if not fileio.exists(os.path.join(path, MANIFEST)):
    return None  # Published before manifests: nothing to check against.
  with fileio.open(os.path.join(path, MANIFEST)) as f:
    expected = json.loads(f.read())
  found = manifest(path)
  for name in sorted(expected):
    if name not in found:
      return f'{os.path.join(path, name)}: missing'
    if found[name] != expected[name]:
      return f'{os.path.join(path, name)}: changed since it was pushed (SHA-256 differs)'
  added = sorted(set(found) - set(expected))
  if added:
    return f'{os.path.join(path, added[0])}: not part of the pushed model'
  return None


def holds(serving_dir: str, version: str, model_dir: str) -> bool:
  """Whether `version` is whole and file for file the SavedModel in model_dir."""
  from tfx.dsl.io import fileio
  path = os.path.join(serving_dir, version)
  return (problem(serving_dir, version) is None
          and fileio.exists(os.path.join(path, MANIFEST))
          and manifest(path) == manifest(model_dir))


def rollback(serving_dir: str, version: str) -> Optional[str]:
  """Serves an earlier version again: publishes a copy of it as the newest version.

  A copy, not a deletion: the newer versions stay for the record, and the switch
  is one atomic publish. The copy notes the version that was pushed (a copy of a
  copy names the original). Returns the new version's name, or None when the
  version's model is the one served already: then nothing is written.
  """
  if version not in versions(serving_dir):
    raise UsageError(f'no version {version} in {serving_dir} '
                     f'(versions: {", ".join(versions(serving_dir)) or "none"})')
  if served_as(serving_dir, version) is not None:
    return None
  return publish(os.path.join(serving_dir, version), serving_dir,
                 note={ROLLBACK_NOTE: origin(serving_dir, version)})


def rolled_back_from(serving_dir: str, version: str) -> Optional[str]:
  """The version a rollback copied into `version`, or None if it was pushed."""
  note = files.read_text(os.path.join(serving_dir, version, ROLLBACK_NOTE))
  return note.strip() if note is not None else None


def origin(serving_dir: str, version: str) -> str:
  """The pushed version whose model `version` holds: the one a rollback copied, or itself."""
  return rolled_back_from(serving_dir, version) or version


def served_as(serving_dir: str, version: str) -> Optional[str]:
  """The version served now if it holds `version`'s model (it is `version`, a copy of it, or
  a copy of the version `version` copies), else None."""
  served = latest_version(serving_dir)
  if served is None or origin(serving_dir, served) != origin(serving_dir, version):
    return None
  return served


def published_at(version: str) -> float:
  """When a version was published, in Unix seconds: publish names it by the time (a second
  later at most, when two publish in one second)."""
  return float(version)


def output_folder(destination: str) -> str:
  """The output folder of a run, from where it pushed a version (a pushed model's
  destination): <output folder>/serving/<version>, as PipelineConfig lays it out."""
  return os.path.dirname(os.path.dirname(destination.rstrip('/')))


def _write_notes(version_dir: str, notes: Dict[str, str]) -> None:
  from tfx.dsl.io import fileio
  for path, text in notes.items():
    fileio.makedirs(os.path.dirname(os.path.join(version_dir, path)))
    with fileio.open(os.path.join(version_dir, path), 'w') as f:
      f.write(text)


def _remove_leftovers(serving_dir: str) -> None:
  """Removes hidden versions a killed push left behind (the run lock makes this run the only writer)."""
  from tfx.dsl.io import fileio
  if not fileio.isdir(serving_dir):
    return
  for name in fileio.listdir(serving_dir):
    name = name.rstrip('/')
    if name.startswith(_INCOMING_PREFIX):
      fileio.rmtree(os.path.join(serving_dir, name))


def _copy_graph_last(staged: str, destination: str) -> None:
  """Copies a staged version file by file, saved_model.pb last."""
  from tfx.dsl.io import fileio
  files = []
  for directory, _, names in fileio.walk(staged):
    files.extend(os.path.join(directory, name) for name in names)
  files.sort(key=lambda path: os.path.basename(path) == _GRAPH_FILE)
  for source in files:
    target = os.path.join(destination, os.path.relpath(source, staged))
    fileio.makedirs(os.path.dirname(target))
    fileio.copy(source, target, overwrite=True)


def _sha256(path: str) -> str:
  from tfx.dsl.io import fileio
  digest = hashlib.sha256()
  with fileio.open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()
