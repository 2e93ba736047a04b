"""Spans: the batches of IDX files a data root holds, numbered in the order they arrived.

A data root holds span-1/, span-2/, ... folders, each with a train-* pair and
optionally its own t10k-* pair. IDX files directly in the root are span 1, so a
plain folder of MNIST (data/mnist) is a data root with one span, and adding a
batch to it makes span-2/ beside them.

A span appears whole or not at all: add_span validates the new files, copies
them under a hidden name, then renames the folder into place. Listing ignores
hidden names, so a run never sees a half-copied span. Object stores (gs://)
have no atomic rename: there add_span writes a SPAN_COMPLETE file after the IDX
files, and listing skips span folders without one.
"""

import dataclasses
import hashlib
import os
import re
import shutil
from typing import Dict, List, Optional, Tuple

from mnist_tfx.lib import idx
from mnist_tfx.lib.errors import DataError
from mnist_tfx.lib.errors import UsageError

_SPAN_NAME = re.compile(r'span-([1-9][0-9]*)')
_INCOMING_PREFIX = '.incoming-'
COMPLETE_MARKER = 'SPAN_COMPLETE'  # Written last into a span on an object store.
# The split of a trained span's own t10k-* pair: test_span_<number> (components/span_test/).
_SPAN_TEST_PREFIX = 'test_span_'


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
                      'not a span folder: span folders are named span-<number>' + (
                          ', without leading zeros (span-2, not span-02)'
                          if re.fullmatch(r'span-0+[1-9][0-9]*', name) else ''))
    number = int(match.group(1))
    idx.check_inside(data_root, os.path.join(data_root, name))
    if not idx.is_local(data_root) and COMPLETE_MARKER not in idx.list_names(os.path.join(data_root, name)):
      continue  # Still being copied in.
    if number in spans:
      raise DataError(data_root, f'both {name}/ and the IDX files beside it are span {number}, '
                      'and only one would be read; keep one')
    spans[number] = Span(number, os.path.join(data_root, name))
  if not spans:
    raise DataError(data_root, 'no train-images-idx3-ubyte[.gz] / train-labels-idx1-ubyte[.gz] '
                    'pair and no span-<number> folder')
  return [spans[n] for n in sorted(spans)]


def sources(data_root: str, span_window: int = 1,
            eval_root: str = '') -> Dict[str, List[Tuple[Optional[int], Tuple[str, str]]]]:
  """What a run reads, per split: [(span number or None, (images, labels))].

  `train` from the newest span_window spans, `eval` from the fixed test set, and
  `previous` (for drift) from the window one span earlier: the data the previous
  run trained on. Each span of the window with a t10k-* pair of its own (not the
  fixed set's) adds `test_span_<number>`: its own test digits, for SpanTest.
  """
  if span_window < 1:
    raise UsageError(f'span_window must be at least 1, not {span_window}')
  spans = list_spans(data_root)
  window = spans[-span_window:]
  fixed = _eval_source(spans, eval_root)
  found = {'train': [(span.number, span.train_pair()) for span in window],
           'eval': [fixed]}
  previous = spans[-span_window - 1:-1]
  if previous:
    found['previous'] = [(span.number, span.train_pair()) for span in previous]
  for span in window:
    pair = span.test_pair()
    if pair is not None and not _same(pair, fixed[1]):
      found[span_test_split(span.number)] = [(span.number, pair)]
  return found


def span_test_split(number: int) -> str:
  """The split of span `number`'s own test digits."""
  return f'{_SPAN_TEST_PREFIX}{number}'


def span_test_number(split: str) -> Optional[int]:
  """The span whose own test digits the split holds; None for any other split."""
  match = re.fullmatch(re.escape(_SPAN_TEST_PREFIX) + r'([1-9][0-9]*)', split)
  return int(match.group(1)) if match else None


def record_limit(split: str, train_limit: int) -> int:
  """How many records of each pair of the split to read (0: all). `train_limit` cuts the
  training data (train, and previous to compare with it), never test digits."""
  return 0 if split == 'eval' or span_test_number(split) is not None else train_limit


def _same(pair: Tuple[str, str], other: Tuple[str, str]) -> bool:
  return [os.path.normpath(p) for p in pair] == [os.path.normpath(p) for p in other]


def _eval_source(spans: List[Span], eval_root: str):
  """(span number or None, t10k pair) of the fixed evaluation set."""
  if eval_root:
    pair = idx.find_pair(eval_root, 't10k')
    if pair is None:
      raise DataError(eval_root, 'no t10k-images-idx3-ubyte[.gz] / t10k-labels-idx1-ubyte[.gz] '
                      'pair for the evaluation set')
    return None, pair
  for span in spans:
    pair = span.test_pair()
    if pair is not None:
      return span.number, pair
  raise DataError(spans[0].folder, 'no t10k-* pair in any span for the evaluation set '
                  '(add one, or set --eval-root)')


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

  Every file is read through the checks ingestion makes before anything is written.
  """
  train = idx.find_pair(source, 'train')
  if train is None:
    raise DataError(source, 'no train-images-idx3-ubyte[.gz] / train-labels-idx1-ubyte[.gz] pair')
  pairs = [pair for pair in (train, idx.find_pair(source, 't10k')) if pair is not None]
  for images, labels in pairs:
    for _ in idx.read_pairs(images, labels):
      pass
  existing = list_spans(data_root) if idx.is_folder(data_root) and idx.list_names(data_root) else []
  number = existing[-1].number + 1 if existing else 1
  final = os.path.join(data_root, f'span-{number}')
  files = [path for pair in pairs for path in pair]
  if not idx.is_local(data_root):
    _add_to_object_store(files, final)
    return Span(number, final)
  incoming = os.path.join(data_root, f'{_INCOMING_PREFIX}span-{number}-{os.getpid()}')
  os.makedirs(incoming)
  for path in files:
    shutil.copy2(path, incoming)
  try:
    os.rename(incoming, final)  # Fails if another add took this number meanwhile.
  except OSError as e:
    shutil.rmtree(incoming, ignore_errors=True)
    raise DataError(final, f'could not be added ({e.strerror or e}); try again') from e
  return Span(number, final)


def _add_to_object_store(files: List[str], final: str) -> None:
  """Copies the files into `final`, then the marker that makes the span visible."""
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  if fileio.exists(final):
    raise DataError(final, 'already exists: another span was added meanwhile; try again')
  fileio.makedirs(final)
  for path in files:
    fileio.copy(path, os.path.join(final, os.path.basename(path)))
  with fileio.open(os.path.join(final, COMPLETE_MARKER), 'w') as f:
    f.write('complete\n')
