"""The bucket: a stand-in for GCS that keeps folder marker objects, shared by fresh processes.

Objects live in one SQLite file, each under its key (`bucket/path`), so that a
zero-byte `dir/` object and the `dir/file` objects below it can coexist, as on
GCS. A step's process sees the bucket as TensorFlow's `ram://` file system
(pod/sitecustomize.py loads it at start and writes the changes back at exit):

- TensorFlow's GCS file system writes a zero-byte `dir/` object for each folder
  level that `makedirs` creates (tensorflow core/platform/cloud/gcs_file_system.cc,
  CreateDir and the FileSystem default RecursivelyCreateDir). ram:// records each
  such folder as an entry of its own (tsl/platform/ram_file_system.h, CreateDir),
  and writing a file creates no folder entry in either. So a ram:// folder entry is
  saved as the `dir/` object GCS would hold, and loaded back as one.
- Deleting the file `dir/` removes that marker in both (GCS: the object named
  `dir/`; ram://: the trailing slash is stripped, then the entry erased).
- Listing is by key prefix, in key order, as the GCS JSON API lists objects.
"""

import contextlib
import os
import sqlite3
from typing import Dict, Iterator, List, Optional, Tuple

RAM = 'ram://'
# Deeper than any path the pipeline writes (a SavedModel's variables are 8 levels down).
MAX_DEPTH = 20


class Bucket:
  """Key -> bytes, with GCS's listing; `path` is the SQLite file."""

  def __init__(self, path: str):
    self.path = str(path)
    with self._connect() as db:
      db.execute('CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, data BLOB)')

  @contextlib.contextmanager
  def _connect(self) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(self.path, timeout=60)
    try:
      with db:
        yield db
    finally:
      db.close()

  def put(self, key: str, data: bytes) -> None:
    with self._connect() as db:
      db.execute('INSERT OR REPLACE INTO objects VALUES (?, ?)', (key, data))

  def get(self, key: str) -> Optional[bytes]:
    with self._connect() as db:
      row = db.execute('SELECT data FROM objects WHERE key = ?', (key,)).fetchone()
    return None if row is None else bytes(row[0])

  def list(self, prefix: str = '') -> List[Tuple[str, bytes]]:
    """(key, data) of every object whose key starts with `prefix`, in key order."""
    with self._connect() as db:
      rows = db.execute('SELECT key, data FROM objects WHERE substr(key, 1, ?) = ? '
                        'ORDER BY key', (len(prefix), prefix)).fetchall()
    return [(key, bytes(data)) for key, data in rows]

  def markers(self, prefix: str = '') -> List[str]:
    return [key for key, data in self.list(prefix) if key.endswith('/') and not data]

  def apply(self, changed: Dict[str, bytes], deleted: List[str]) -> None:
    with self._connect() as db:
      db.executemany('INSERT OR REPLACE INTO objects VALUES (?, ?)', changed.items())
      db.executemany('DELETE FROM objects WHERE key = ?', [(key,) for key in deleted])


def upload_folder(bucket: Bucket, folder: str, key_prefix: str) -> None:
  """Copies a local folder's files in, as `gcloud storage cp` does: no marker objects."""
  for parent, _, files in os.walk(folder):
    for name in files:
      path = os.path.join(parent, name)
      with open(path, 'rb') as f:
        bucket.put(key_prefix.rstrip('/') + '/' + os.path.relpath(path, folder), f.read())


# In a step's process (pod/sitecustomize.py), with TensorFlow loaded.

def ram_keys() -> Dict[str, bool]:
  """Every ram:// entry: key -> whether it is a folder entry (a marker)."""
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from tensorflow.python.lib.io import _pywrap_file_io  # Under tf.io.gfile.glob, unpatched.
  # pylint: enable=g-import-not-at-top
  keys = {}
  # GetMatchingPaths matches each entry with FNM_PATHNAME: one pattern per depth.
  for depth in range(1, MAX_DEPTH + 1):
    pattern = (RAM + '/'.join(['*'] * depth)).encode()
    for path in _pywrap_file_io.GetMatchingFiles(pattern):
      path = path.decode() if isinstance(path, bytes) else path
      keys[path[len(RAM):]] = tf.io.gfile.stat(path).is_directory
  return keys


def ram_entries() -> Dict[str, Optional[bytes]]:
  """Every ram:// entry: key -> its bytes, or None for a folder entry (a marker)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  entries = {}
  for key, is_folder in ram_keys().items():
    if is_folder:
      entries[key] = None
    else:
      with tf.io.gfile.GFile(RAM + key, 'rb') as f:
        entries[key] = f.read()
  return entries


def load_into_ram(bucket: Bucket) -> Dict[str, bytes]:
  """Fills ram:// with the bucket; returns the objects loaded, by key."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  objects = dict(bucket.list())
  for key, data in objects.items():
    if key.endswith('/') and not data:
      tf.io.gfile.mkdir(RAM + key[:-1])  # One folder entry, as CreateDir makes it.
    else:
      with tf.io.gfile.GFile(RAM + key, 'wb') as f:
        f.write(data)
  return objects


def save_from_ram(bucket: Bucket, loaded: Dict[str, bytes]) -> None:
  """Writes back what the process changed in ram://: new, changed and deleted objects."""
  now = {(key + '/' if data is None else key): (b'' if data is None else data)
         for key, data in ram_entries().items()}
  changed = {key: data for key, data in now.items() if loaded.get(key) != data}
  deleted = [key for key in loaded if key not in now]
  bucket.apply(changed, deleted)
