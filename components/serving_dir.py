"""The TF Serving model directory: numbered versions under one base path.

TF Serving loads the highest numeric subdirectory and ignores any other name, so a
version is copied under a hidden name first and renamed into place: a reader sees
a version whole or not at all.
"""

import os
import time
from typing import Optional

from tfx.dsl.io import fileio
from tfx.utils import io_utils

_INCOMING_PREFIX = '.incoming-'


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


def publish(model_dir: str, serving_dir: str) -> str:
  """Copies a SavedModel in as a new version, atomically; returns the version name.

  The version is the Unix time in seconds, or one more than the latest version
  when that is not higher (two pushes in one second).
  """
  latest = latest_version(serving_dir)
  version = str(max(int(time.time()), int(latest or 0) + 1))
  incoming = os.path.join(serving_dir, f'{_INCOMING_PREFIX}{version}')
  if fileio.exists(incoming):
    fileio.rmtree(incoming)
  io_utils.copy_dir(model_dir, incoming)
  fileio.rename(incoming, os.path.join(serving_dir, version))
  return version
