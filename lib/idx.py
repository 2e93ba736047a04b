"""Reads IDX image/label pairs as a stream, checking everything a bad file can get wrong.

The format (http://yann.lecun.com/exdb/mnist/): a big-endian int32 magic number
(2051 for images, 2049 for labels), the record count, for images the rows and
columns, then one unsigned byte per pixel or label. Files may be gzipped.

Local paths are read with the standard library (whose errors name the cause);
paths with a scheme (gs:// on Kubeflow) through TFX's fileio.
"""

import gzip
import os
import re
import struct
import zlib
from typing import BinaryIO, Iterator, List, Optional, Tuple

import numpy as np

from mnist_tfx.lib.errors import DataError
from mnist_tfx.lib.features import COLS
from mnist_tfx.lib.features import NUM_CLASSES
from mnist_tfx.lib.features import PIXELS
from mnist_tfx.lib.features import ROWS

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049

# Records read at a time: memory stays at about CHUNK * 784 bytes whatever the file size.
CHUNK = 4096


def find_pair(folder: str, prefix: str) -> Optional[Tuple[str, str]]:
  """The (images, labels) files named <prefix>-*-idx?-ubyte[.gz] in folder, or None.

  One of the two without the other is an error: a pair is read whole or not at all. So
  is a folder that leaves in doubt which file to read (see _find).
  """
  names = list_names(folder)
  images = _find(folder, names, prefix, 'images', 3)
  labels = _find(folder, names, prefix, 'labels', 1)
  if images is None and labels is None:
    return None
  if images is None or labels is None:
    present = images or labels
    missing = (f'{prefix}-labels-idx1-ubyte[.gz]' if labels is None else
               f'{prefix}-images-idx3-ubyte[.gz]')
    raise DataError(os.path.join(folder, present), f'missing its pair: no {missing} beside it')
  pair = os.path.join(folder, images), os.path.join(folder, labels)
  for path in pair:
    check_inside(folder, path)
  return pair


def check_inside(root: str, path: str) -> None:
  """A DataError if `path`, followed through symbolic links, leads out of `root`.

  Roots are the user's choice and may be anywhere; what is found inside them
  (span folders, IDX files) must stay there, so a link cannot pull in other files.
  """
  if not is_local(path):
    return  # Object stores have no links.
  real_root, real = os.path.realpath(root), os.path.realpath(path)
  if os.path.commonpath([real_root, real]) != real_root:
    raise DataError(path, f'leads out of {root} (to {real}): spans and IDX files must be '
                    'inside their data root, not links to elsewhere')


def list_names(folder: str) -> List[str]:
  """The names in a folder, local or remote; a DataError if it is not a folder."""
  if not is_folder(folder):
    raise DataError(folder, 'does not exist or is not a folder')
  if is_local(folder):
    return os.listdir(folder)
  return [name.rstrip('/') for name in _fileio().listdir(folder)]


def is_folder(path: str) -> bool:
  return os.path.isdir(path) if is_local(path) else _fileio().isdir(path)


def open_binary(path: str) -> BinaryIO:
  if is_local(path):
    return open(path, 'rb')  # pylint: disable=consider-using-with
  return _fileio().open(path, 'rb')


def is_local(path: str) -> bool:
  """A path without a scheme (gs://, ram://): read with the standard library."""
  return '://' not in path


def _fileio():
  """TFX's filesystem layer (imports TensorFlow, so only when a remote path needs it)."""
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  return fileio


def _find(folder: str, names: List[str], prefix: str, kind: str, dimensions: int) -> Optional[str]:
  """The one name of folder that holds the <prefix> <kind>, or None.

  A file and its gzipped copy, or another spelling of the name (MNIST's files unpacked by
  some tools read train-images.idx3-ubyte), would leave the choice to this code: the folder
  is refused naming them, rather than one being read and the other silently ignored.
  """
  stem = f'{prefix}-{kind}-idx{dimensions}-ubyte'
  look_alike = re.compile(rf'{prefix}[-._ ]{kind}[-._ ]idx{dimensions}[-._ ]ubyte(\.gz)?',
                          re.IGNORECASE)
  found = sorted(name for name in names if look_alike.fullmatch(name))
  if len(found) > 1:
    listed = ', '.join(found[:-1]) + ' and ' + found[-1]
    raise DataError(folder, f'both {listed} hold the {prefix} {kind}, and only one would be '
                    'read; keep one')
  if found and found[0] not in (stem, stem + '.gz'):
    raise DataError(os.path.join(folder, found[0]), f'would not be read: the {prefix} {kind} '
                    f'are read from {stem}[.gz] only; rename it')
  return found[0] if found else None


def read_pairs(images_path: str, labels_path: str,
               limit: int = 0) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
  """Yields (images [n, 784] uint8, labels [n] uint8) chunks of one IDX pair.

  Checks headers before yielding anything, and the ends of both files after the
  last record, so a bad file fails the run however far into it the fault is.
  `limit` > 0 stops after that many records (for quick runs).
  """
  with _open(images_path) as images, _open(labels_path) as labels:
    count = _read_image_header(images, images_path)
    label_count = _read_label_header(labels, labels_path)
    if count != label_count:
      raise DataError(
          images_path, f'holds {count} images but {labels_path} holds '
          f'{label_count} labels')
    wanted = min(count, limit) if limit > 0 else count
    done = 0
    while done < wanted:
      n = min(CHUNK, wanted - done)
      pixels = _read_exactly(images, n * PIXELS, images_path,
                             f'{count} images of {PIXELS} bytes', done * PIXELS)
      digits = np.frombuffer(
          _read_exactly(labels, n, labels_path, f'{count} labels', done),
          dtype=np.uint8)
      if digits.max() >= NUM_CLASSES:
        bad = int(np.argmax(digits >= NUM_CLASSES))
        raise DataError(
            labels_path,
            f'label {digits[bad]} at record {done + bad} is outside 0-9')
      yield np.frombuffer(pixels, dtype=np.uint8).reshape(n, PIXELS), digits
      done += n
    if wanted == count:
      _check_at_end(images, images_path, count, 'images')
      _check_at_end(labels, labels_path, count, 'labels')


def read_arrays(images_path: str, labels_path: str,
                limit: int = 0) -> Tuple[np.ndarray, np.ndarray]:
  """The whole pair in memory: (images [n, 784], labels [n]), for tests and benchmarks."""
  chunks = list(read_pairs(images_path, labels_path, limit))
  return (np.concatenate([c[0] for c in chunks]),
          np.concatenate([c[1] for c in chunks]))


class _Reader:
  """A binary stream that turns gzip and I/O faults into DataError for its file."""

  def __init__(self, path: str):
    self.path = path
    raw = open_binary(path)
    gzipped = raw.read(2) == b'\x1f\x8b'
    raw.seek(0)
    self.stream: BinaryIO = gzip.GzipFile(fileobj=raw) if gzipped else raw
    self._raw = raw

  def read(self, n: int) -> bytes:
    try:
      return self.stream.read(n)
    except (OSError, EOFError, zlib.error) as e:
      raise DataError(self.path, f'corrupt gzip stream ({e})') from e

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    self.stream.close()
    self._raw.close()


def _open(path: str) -> _Reader:
  try:
    return _Reader(path)
  except OSError as e:
    raise DataError(path, f'cannot be read ({e.strerror or e})') from e


def _read_exactly(reader: _Reader, n: int, path: str, expected: str,
                  offset: int) -> bytes:
  data = reader.read(n)
  if len(data) != n:
    raise DataError(
        path, f'truncated: the header declares {expected}, but the data ends '
        f'after {offset + len(data)} bytes')
  return data


def _read_image_header(reader: _Reader, path: str) -> int:
  header = _read_exactly(reader, 16, path, 'a 16-byte header', 0)
  magic, count, rows, cols = struct.unpack('>4i', header)
  if magic != IMAGE_MAGIC:
    raise DataError(
        path, f'wrong magic number {magic} for an IDX image file '
        f'(expected {IMAGE_MAGIC})')
  if (rows, cols) != (ROWS, COLS):
    raise DataError(path,
                    f'images are {rows}x{cols}, expected {ROWS}x{COLS}')
  if count < 0:
    raise DataError(path, f'negative image count {count} in the header')
  return count


def _read_label_header(reader: _Reader, path: str) -> int:
  header = _read_exactly(reader, 8, path, 'an 8-byte header', 0)
  magic, count = struct.unpack('>2i', header)
  if magic != LABEL_MAGIC:
    raise DataError(
        path, f'wrong magic number {magic} for an IDX label file '
        f'(expected {LABEL_MAGIC})')
  if count < 0:
    raise DataError(path, f'negative label count {count} in the header')
  return count


def _check_at_end(reader: _Reader, path: str, count: int, what: str):
  extra = len(reader.read(CHUNK))
  if extra:
    raise DataError(
        path, f'oversized: data continues after the {count} {what} '
        'the header declares')
