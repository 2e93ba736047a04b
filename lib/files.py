"""Small text files read where they lie: a local path with Python's own open, anything else
(gs://, ram://) through TFX's fileio, which imports TensorFlow (seconds), only then."""

import os
from typing import Optional


def read_text(path: str) -> Optional[str]:
  """The file's text; None if there is no such file."""
  if '://' not in path:
    if not os.path.exists(path):
      return None
    with open(path) as f:
      return f.read()
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  if not fileio.exists(path):
    return None
  with fileio.open(path) as f:
    return f.read()
