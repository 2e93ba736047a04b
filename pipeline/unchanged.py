"""Whether a local run would find every component cached, answered without TFX.

TFX's cache decides what runs, but asking it means importing TFX and TensorFlow
(half a minute here), which an hourly schedule with no new span should not pay.
After each run that completes, `outputs/.last-run.json` records a key over everything
that the cache keys on: what the run read, taken as it started, and what it wrote,
taken as it ended. A later run whose key is the same would find every component
cached, so it answers from the stamp; any difference, however small, runs TFX, which
stays the judge of what runs.

The key covers, by cheap means (stat, a read of the source files):
- the data: name, size and modification time of every file (fingerprint.py);
- the code: the content of every source file of lib/, components/, trainer_module/
  and pipeline/, and the versions of TFX, TensorFlow and Apache Beam;
- the configuration: every field, with absolute paths;
- the served model: the name, size and modification time of every file of every
  version, so that a push, a rollback or damage is a difference;
- what the cache reads back: every file of the pipeline's artifacts, and the ML
  Metadata store.
Nothing here imports TensorFlow or TFX.
"""

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import time
from typing import Optional

from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import fingerprint

STAMP = '.last-run.json'
_PACKAGES = ('tfx', 'tensorflow', 'apache-beam', 'tensorflow-transform', 'ml-metadata')


def inputs_key(config: configs.PipelineConfig) -> str:
  """What a run reads: data, code, package versions, configuration. Taken when a run
  starts, so that a file edited while it runs is a change for the next one."""
  return _digest({
      'data': fingerprint.data_fingerprint(config.data_root, config.eval_root),
      'code': fingerprint.project_fingerprint(),
      'packages': {name: _version(name) for name in _PACKAGES},
      'config': dataclasses.asdict(config),
  })


def key(config: configs.PipelineConfig, inputs: str) -> str:
  """The inputs' key and what runs write, as the files are now: the serving directory,
  the artifacts and ML Metadata."""
  return _digest({
      'inputs': inputs,
      'serving': _files_fingerprint(config.serving_dir),
      'artifacts': _files_fingerprint(config.pipeline_root),
      'metadata': _files_fingerprint(config.metadata_path),
  })


def write(config: configs.PipelineConfig, inputs: str, outcome: str) -> None:
  """Records a completed run (every component ran or was cached): the key of its inputs
  as it started and of its outputs as it left them, and its outcome as the summary
  printed it. Paths with a scheme (gs://) are never vouched for."""
  if not _local(config):
    return
  stamp = {'key': key(config, inputs), 'outcome': outcome,
           'finished': time.strftime('%Y-%m-%d %H:%M:%S')}
  path = os.path.join(config.output_dir, STAMP)
  with open(path + '.tmp', 'w') as f:
    json.dump(stamp, f)
  os.replace(path + '.tmp', path)


def forget(config: configs.PipelineConfig) -> None:
  """Before a run through TFX: if it fails half-way, no stamp may vouch for the folder."""
  try:
    os.remove(os.path.join(config.output_dir, STAMP))
  except FileNotFoundError:
    pass


def read(config: configs.PipelineConfig, inputs: str) -> Optional[dict]:
  """The stamp of the last completed run if nothing has changed since, else None.

  inputs: inputs_key(config), taken now (the run that follows a miss reuses it).
  """
  if not _local(config):
    return None
  try:
    with open(os.path.join(config.output_dir, STAMP)) as f:
      stamp = json.load(f)
  except (OSError, ValueError):
    return None
  if not isinstance(stamp, dict) or stamp.get('key') != key(config, inputs):
    return None
  return stamp


def _digest(parts: dict) -> str:
  return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _local(config: configs.PipelineConfig) -> bool:
  return all('://' not in path for path in (config.data_root, config.eval_root,
                                             config.output_dir))


def _files_fingerprint(path: str) -> str:
  """Relative name, size and modification time of every file at or under `path`."""
  digest = hashlib.sha256()
  if os.path.isfile(path):
    stat = os.stat(path)
    digest.update(f'{stat.st_size}\0{stat.st_mtime_ns}'.encode())
  for root, dirs, files in os.walk(path):
    dirs.sort()
    for name in sorted(files):
      try:
        stat = os.stat(os.path.join(root, name))
      except OSError:
        continue
      relative = os.path.relpath(os.path.join(root, name), path)
      digest.update(f'{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n'.encode())
  return digest.hexdigest()


def _version(package: str) -> str:
  try:
    return importlib.metadata.version(package)
  except importlib.metadata.PackageNotFoundError:
    return ''
