"""Reads slices of data/mnist and writes IDX files, good or deliberately broken, for tests."""

import gzip
import os
import struct

import numpy as np

from mnist_tfx.lib import idx

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MNIST = os.path.join(PROJECT, 'data', 'mnist')
# The small slice most tests use: enough for BatchNorm's moving statistics to settle
# in two epochs (about 160 steps).
SMALL_TRAIN = 5000
SMALL_EVAL = 1000
# The tiny slice: one epoch of it trains a poor model (about half right) in seconds.
TINY_TRAIN = 1000
TINY_EVAL = 300
# Split name -> file-name prefix, as MNIST names its files.
PREFIXES = {'train': 'train', 'eval': 't10k'}


def read_split(split: str, limit: int):
  """(images [n, 784] uint8, labels [n] uint8): the first `limit` records of a split."""
  images_path, labels_path = idx.find_pair(MNIST, PREFIXES[split])
  return idx.read_arrays(images_path, labels_path, limit)


def image_bytes(images: np.ndarray, magic=idx.IMAGE_MAGIC, rows=28, cols=28, count=None) -> bytes:
  count = len(images) if count is None else count
  return struct.pack('>4i', magic, count, rows, cols) + images.astype(np.uint8).tobytes()


def label_bytes(labels: np.ndarray, magic=idx.LABEL_MAGIC, count=None) -> bytes:
  count = len(labels) if count is None else count
  return struct.pack('>2i', magic, count) + labels.astype(np.uint8).tobytes()


def write(path, data: bytes, gzipped: bool = True) -> str:
  path = str(path) + ('.gz' if gzipped else '')
  with (gzip.open(path, 'wb') if gzipped else open(path, 'wb')) as f:
    f.write(data)
  return path


def write_data_root(root, arrays, gzipped: bool = True) -> None:
  """Writes train-* and t10k-* IDX pairs for {'train': (images, labels), 'eval': ...}."""
  os.makedirs(root, exist_ok=True)
  for split, (images, labels) in arrays.items():
    prefix = PREFIXES[split]
    write(os.path.join(root, f'{prefix}-images-idx3-ubyte'), image_bytes(images), gzipped)
    write(os.path.join(root, f'{prefix}-labels-idx1-ubyte'), label_bytes(labels), gzipped)


def _images(arrays, **header):
  return image_bytes(arrays[0], **header)


def _labels(arrays, **header):
  return label_bytes(arrays[1], **header)


def bad_gzip(data: bytes) -> bytes:
  packed = bytearray(gzip.compress(data))
  packed[len(packed) // 2] ^= 0xFF
  return bytes(packed)


# Each case: how to make a pair of (images, labels) arrays bad, as the bytes of both
# files; which file the error must name; words it must say.
BAD_PAIRS = {
    'wrong image magic': (lambda a: (_images(a, magic=2049), _labels(a)), 'images',
                          'wrong magic number 2049'),
    'wrong label magic': (lambda a: (_images(a), _labels(a, magic=2051)), 'labels',
                          'wrong magic number 2051'),
    'images not 28x28': (lambda a: (_images(a, rows=32, cols=24), _labels(a)), 'images',
                         'images are 32x24'),
    'truncated images': (lambda a: (_images(a)[:-100], _labels(a)), 'images', 'truncated'),
    'truncated header': (lambda a: (_images(a)[:10], _labels(a)), 'images', 'truncated'),
    'truncated labels': (lambda a: (_images(a), _labels(a)[:-1]), 'labels', 'truncated'),
    'oversized images': (lambda a: (_images(a) + bytes(784), _labels(a)), 'images',
                         'oversized'),
    'oversized labels': (lambda a: (_images(a), _labels(a) + b'\x01'), 'labels', 'oversized'),
    'counts differ': (lambda a: (_images(a), label_bytes(a[1][:-1])), 'images',
                      'holds 300 images but'),
    'label outside 0-9': (lambda a: (_images(a), label_bytes(
        np.where(np.arange(300) == 123, 10, a[1]))), 'labels', 'label 10 at record 123'),
}
