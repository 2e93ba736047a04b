"""Reads slices of data/mnist and writes IDX files, good or deliberately broken, for tests."""

import gzip
import os
import struct

import numpy as np

from components.idx_example_gen import idx

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = os.path.join(PROJECT, 'data', 'mnist')
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
