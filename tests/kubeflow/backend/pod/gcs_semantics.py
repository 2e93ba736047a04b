"""TensorFlow's GCS file system as the step's Python code sees it, given to ram:// paths.

ram:// keeps what GCS keeps (object_store.py), but its folder operations are not
GCS's. These follow tensorflow/tsl/platform/cloud/gcs_file_system.cc (TF 2.16):
- a folder exists when its `dir/` marker or any object below it does (Stat,
  FolderExists), and a path `a/b` is not a folder because `a/bc` exists;
- GetChildren lists objects and folder prefixes one level down, by delimiter;
- RenameFile of a folder renames every object below it, its marker included;
- CreateDir writes the `dir/` marker only where no such folder exists yet, and the
  default RecursivelyCreateDir creates only the missing levels;
- GetMatchingPaths matches every object and every folder above one.
They replace those functions of tf.io.gfile (and TensorFlow's file_io module, which
walk uses) for ram:// paths. TensorFlow's C++ code (SavedModel writers) still
reaches ram:// directly: it creates folders and writes files, and ram:// creates a
marker for every level, where GCS skips levels that already hold objects. The
bucket then holds more markers than GCS would, never fewer.
"""

import re

import tensorflow as tf
from tensorflow.python.lib.io import file_io

from tests.kubeflow.backend import object_store

RAM = object_store.RAM


def _key(path: str) -> str:
  return path[len(RAM):].rstrip('/')


def _keys():
  return object_store.ram_keys()


def _below(key: str, keys) -> list:
  return [k for k in keys if k.startswith(key + '/')]


def exists(path):
  keys, key = _keys(), _key(path)
  return key in keys or bool(_below(key, keys))


def isdir(path):
  keys, key = _keys(), _key(path)
  return keys.get(key) is True or bool(_below(key, keys))


def listdir(path):
  keys, key = _keys(), _key(path)
  if not (keys.get(key) is True or _below(key, keys)):
    raise tf.errors.NotFoundError(None, None, f'Could not find directory {path}')
  children = set()
  for below in _below(key, keys):
    rest = below[len(key) + 1:]
    name, slash, _ = rest.partition('/')
    # A folder marker is an object named `name/`: with the delimiter, a prefix too.
    children.add(name + '/' if slash or keys[below] is True else name)
  return sorted(children)


def makedirs(path):
  """RecursivelyCreateDir: the missing levels, from the highest down, each a CreateDir."""
  key = _key(path)
  missing = []
  while key and not exists(RAM + key):
    missing.append(key)
    key = key.rpartition('/')[0]
  for level in reversed(missing):
    _original['mkdir'](RAM + level)


def mkdir(path):
  if exists(path):
    raise tf.errors.AlreadyExistsError(None, None, _key(path))
  _original['mkdir'](path)


def rename(src, dst, overwrite=False):
  if not isdir(src):
    return _original['rename'](src, dst, overwrite)
  if not overwrite and exists(dst):
    raise tf.errors.AlreadyExistsError(None, None, f'{dst} exists')
  keys, key, target = _keys(), _key(src), _key(dst)
  for name in [key] * (keys.get(key) is True) + _below(key, keys):
    _original['rename'](RAM + name, RAM + target + name[len(key):], True)


def rmtree(path):
  keys, key = _keys(), _key(path)
  names = _below(key, keys) + [key] * (key in keys)
  if not names:
    raise tf.errors.NotFoundError(None, None, f'{path} not found')
  for name in sorted(names, reverse=True):
    _original['remove'](RAM + name)


def glob(pattern):
  """Env::MatchPath is fnmatch with FNM_PATHNAME: `*` and `?` stop at `/`."""
  regex = re.compile(''.join(
      '[^/]*' if c == '*' else '[^/]' if c == '?' else re.escape(c)
      for c in pattern[len(RAM):]) + r'\Z')
  paths = set()
  for key in _keys():
    parts = key.split('/')
    paths.update('/'.join(parts[:i]) for i in range(1, len(parts) + 1))
  return sorted(RAM + p for p in paths if regex.match(p))


_REPLACEMENTS = {  # tf.io.gfile name: (ours, file_io names that walk and others call)
    'exists': (exists, ['file_exists_v2', 'file_exists']),
    'isdir': (isdir, ['is_directory_v2', 'is_directory']),
    'listdir': (listdir, ['list_directory_v2', 'list_directory']),
    'makedirs': (makedirs, ['recursive_create_dir_v2', 'recursive_create_dir']),
    'mkdir': (mkdir, ['create_dir_v2', 'create_dir']),
    'rename': (rename, ['rename_v2', 'rename']),
    'rmtree': (rmtree, ['delete_recursively_v2', 'delete_recursively']),
    'glob': (glob, ['get_matching_files_v2', 'get_matching_files']),
}
_original = {'mkdir': tf.io.gfile.mkdir, 'rename': tf.io.gfile.rename,
             'remove': tf.io.gfile.remove}


def _dispatch(ours, original):
  def function(path, *args, **kwargs):
    if isinstance(path, (list, tuple)):  # glob takes a list of patterns too.
      return sorted(set().union(*(function(p, *args, **kwargs) for p in path)))
    path_text = path.decode() if isinstance(path, bytes) else str(path)
    if path_text.startswith(RAM):
      return ours(path_text, *args, **kwargs)
    return original(path, *args, **kwargs)
  return function


def install() -> None:
  for name, (ours, module_names) in _REPLACEMENTS.items():
    setattr(tf.io.gfile, name, _dispatch(ours, getattr(tf.io.gfile, name)))
    for module_name in module_names:
      setattr(file_io, module_name, _dispatch(ours, getattr(file_io, module_name)))
