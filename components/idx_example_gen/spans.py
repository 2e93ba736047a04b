"""Spans: the batches of IDX files a data root holds, numbered in the order they arrived.

A data root holds span-1/, span-2/, ... folders, each with a train-* pair and
optionally its own t10k-* pair. IDX files directly in the root are span 1, so a
plain folder of MNIST (data/mnist) is a data root with one span, and adding a
batch to it makes span-2/ beside them.

A span appears whole or not at all: add_span validates the new files, copies
them under a hidden name, then renames the folder into place. Listing ignores
hidden names, so a run never sees a half-copied span.
"""

import dataclasses
import hashlib
import os
import re
import shutil
from typing import Dict, List, Optional, Tuple

from components.errors import DataError
from components.idx_example_gen import idx

_SPAN_NAME = re.compile(r'span-([1-9][0-9]*)')
_INCOMING_PREFIX = '.incoming-'


@dataclasses.dataclass(frozen=True)
class Span:
  number: int
  folder: str

  def train_pair(self) -> Tuple[str, str]:
    pair = idx.find_pair(self.folder, 'train')
    if pair is None:
      raise DataError(self.folder, f'span {self.number} has no train-images-idx3-ubyte[.gz] / '
                      'train-labels-idx1-ubyte[.gz] pair')
    return pair

  def test_pair(self) -> Optional[Tuple[str, str]]:
    return idx.find_pair(self.folder, 't10k')


def list_spans(data_root: str) -> List[Span]:
  """Every span of data_root, oldest first."""
  names = idx.list_names(data_root)
  spans = {}
  if idx.find_pair(data_root, 'train') is not None:
    spans[1] = Span(1, data_root)
  for name in names:
    if name.startswith('.') or not idx.is_folder(os.path.join(data_root, name)):
      continue
    match = _SPAN_NAME.fullmatch(name)
    if match is None:
      raise DataError(os.path.join(data_root, name),
                      'not a span folder: span folders are named span-<number>')
    number = int(match.group(1))
    if number in spans:
      raise DataError(os.path.join(data_root, name),
                      f'span {number} is both this folder and the IDX files beside it')
    spans[number] = Span(number, os.path.join(data_root, name))
  if not spans:
    raise DataError(data_root, 'no train-images-idx3-ubyte[.gz] / train-labels-idx1-ubyte[.gz] '
                    'pair and no span-<number> folder')
  return [spans[n] for n in sorted(spans)]


def sha256(path: str) -> str:
  digest = hashlib.sha256()
  with idx.open_binary(path) as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def describe(number: Optional[int], pair: Tuple[str, str]) -> Dict:
  """What was read: the span's number (None: not a span) and each file's path and SHA-256."""
  return {'span': number, 'files': {path: sha256(path) for path in pair}}


def add_span(source: str, data_root: str) -> Span:
  """Validates the IDX files in `source`, then adds them to data_root as the next span.

  Every file is read through the checks ingestion makes, before anything is
  written. Local data roots only: an object store has no atomic folder rename.
  """
  if '://' in data_root:
    raise DataError(data_root, 'add-span writes local data roots only (no atomic rename on '
                    'object stores); copy the span to a local root first, or upload it '
                    'under a hidden name and move it as one step')
  pairs = [pair for pair in (idx.find_pair(source, 'train'), idx.find_pair(source, 't10k'))
           if pair is not None]
  if not pairs or idx.find_pair(source, 'train') is None:
    raise DataError(source, 'no train-images-idx3-ubyte[.gz] / train-labels-idx1-ubyte[.gz] pair')
  for images, labels in pairs:
    for _ in idx.read_pairs(images, labels):
      pass
  existing = list_spans(data_root) if os.path.isdir(data_root) and os.listdir(data_root) else []
  number = existing[-1].number + 1 if existing else 1
  final = os.path.join(data_root, f'span-{number}')
  incoming = os.path.join(data_root, f'{_INCOMING_PREFIX}span-{number}-{os.getpid()}')
  os.makedirs(incoming)
  for pair in pairs:
    for path in pair:
      shutil.copy2(path, incoming)
  try:
    os.rename(incoming, final)  # Fails if another add took this number meanwhile.
  except OSError as e:
    shutil.rmtree(incoming, ignore_errors=True)
    raise DataError(final, f'could not be added ({e.strerror or e}); try again') from e
  return Span(number, final)
