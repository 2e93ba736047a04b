"""The TF Serving model directory: numbered versions under one base path.

TF Serving loads the highest numeric subdirectory and ignores any other name. On a
local disk a version is copied under a hidden name and renamed into place, so a
reader sees it whole or not at all. Object stores (gs://) have no atomic rename
(fileio.rename copies object by object), so there the version is written in place
with saved_model.pb last: until that file exists TF Serving cannot load the
version (it retries a failed load), and once it exists every other file does.
"""

import os
import time
from typing import Dict, Optional

from tfx.dsl.io import fileio
from tfx.utils import io_utils

_INCOMING_PREFIX = '.incoming-'
_GRAPH_FILE = 'saved_model.pb'
# Inside a rolled-back version: the version it copies. TF Serving ignores assets.extra/.
ROLLBACK_NOTE = os.path.join('assets.extra', 'rolled_back_from')


def versions(serving_dir: str) -> list:
  """The numeric version names under serving_dir, oldest first."""
  if not fileio.isdir(serving_dir):
    return []
  names = [name.rstrip('/') for name in fileio.listdir(serving_dir)]
  return sorted((n for n in names if n.isdigit()), key=int)


def latest_version(serving_dir: str) -> Optional[str]:
  """The version TF Serving serves: the highest number, or None if there is none."""
  found = versions(serving_dir)
  return found[-1] if found else None


def publish(model_dir: str, serving_dir: str, note: Optional[Dict[str, str]] = None) -> str:
  """Copies a SavedModel in as a new version, atomically; returns the version name.

  The version is the Unix time in seconds, or one more than the latest version
  when that is not higher (two pushes in one second). `note` maps paths inside
  the version to text written with it.
  """
  latest = latest_version(serving_dir)
  version = str(max(int(time.time()), int(latest or 0) + 1))
  final = os.path.join(serving_dir, version)
  if '://' in serving_dir:
    _copy_graph_last(model_dir, final)
    _write_notes(final, note)  # After the copy, which may hold an older note.
    return version
  incoming = os.path.join(serving_dir, f'{_INCOMING_PREFIX}{version}')
  if fileio.exists(incoming):
    fileio.rmtree(incoming)
  io_utils.copy_dir(model_dir, incoming)
  _write_notes(incoming, note)
  fileio.rename(incoming, final)
  return version


def rollback(serving_dir: str, version: str) -> str:
  """Serves an earlier version again: publishes a copy of it as the newest version.

  A copy, not a deletion: the newer versions stay for the record, and the switch
  is one atomic publish. Returns the new version's name.
  """
  if version not in versions(serving_dir):
    raise ValueError(f'no version {version} in {serving_dir} '
                     f'(versions: {", ".join(versions(serving_dir)) or "none"})')
  new_version = publish(os.path.join(serving_dir, version), serving_dir,
                        note={ROLLBACK_NOTE: version})
  return new_version


def rolled_back_from(serving_dir: str, version: str) -> Optional[str]:
  """The version a rollback copied into `version`, or None if it was pushed."""
  note = os.path.join(serving_dir, version, ROLLBACK_NOTE)
  if not fileio.exists(note):
    return None
  with fileio.open(note) as f:
    return f.read().strip()


def _write_notes(version_dir: str, note: Optional[Dict[str, str]]) -> None:
  for path, text in (note or {}).items():
    fileio.makedirs(os.path.dirname(os.path.join(version_dir, path)))
    with fileio.open(os.path.join(version_dir, path), 'w') as f:
      f.write(text)


def _copy_graph_last(model_dir: str, destination: str) -> None:
  """Copies a SavedModel file by file, its saved_model.pb after everything else."""
  files = []
  for directory, _, names in fileio.walk(model_dir):
    files.extend(os.path.join(directory, name) for name in names)
  files.sort(key=lambda path: os.path.basename(path) == _GRAPH_FILE)
  for source in files:
    target = os.path.join(destination, os.path.relpath(source, model_dir))
    fileio.makedirs(os.path.dirname(target))
    fileio.copy(source, target, overwrite=True)
