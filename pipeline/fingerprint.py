"""Fingerprints of the input files and of the project's code, for the local cache.

TFX caches an execution on its inputs and parameters. IdxExampleGen reads files
named by a parameter, and user code is referenced by module path, so neither a
new data file nor an edited model would be a cache miss; these fingerprints,
passed as parameters, make them one. They cost a stat per data file and a read
of a few source files (no TensorFlow import).
"""

import hashlib
import os

_PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CODE_DIRS = ('lib', 'components', 'trainer_module', os.path.join('pipeline', 'schema'))
# Not in the cache's code fingerprint: a change here changes the pipeline's parameters
# or wiring, which TFX's cache sees by itself.
_PIPELINE_DIRS = ('pipeline',)


def data_fingerprint(*folders: str) -> str:
  """Name, size and modification time of each file in the folders and their span
  folders ('' if none is readable). Hidden names (spans being added) are skipped."""
  digest = hashlib.sha256()
  seen = False
  for folder in folders:
    for root, dirs, files in os.walk(folder):
      dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
      for name in sorted(files):
        path = os.path.join(root, name)
        try:
          stat = os.stat(path)
        except OSError:
          continue
        relative = os.path.relpath(path, folder)
        digest.update(f'{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n'.encode())
        seen = True
  return digest.hexdigest()[:16] if seen else ''


def code_fingerprint() -> str:
  """The content of the shared libraries (ingestion among them), components, model and schema."""
  return _sources_fingerprint(_CODE_DIRS)


def project_fingerprint() -> str:
  """The code fingerprint and the pipeline's own code (wiring, gate, configuration): all
  that can change what a run does, for pipeline/unchanged.py."""
  return _sources_fingerprint(_CODE_DIRS + _PIPELINE_DIRS)


def _sources_fingerprint(folders) -> str:
  digest = hashlib.sha256()
  for folder in folders:
    for root, dirs, files in os.walk(os.path.join(_PROJECT, folder)):
      dirs[:] = sorted(d for d in dirs if d != '__pycache__')
      for name in sorted(files):
        if name.endswith(('.py', '.pbtxt')):
          path = os.path.join(root, name)
          digest.update(os.path.relpath(path, _PROJECT).encode() + b'\0')
          with open(path, 'rb') as f:
            digest.update(f.read())
  return digest.hexdigest()[:16]
