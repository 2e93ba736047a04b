"""Writes (pixels, label) chunks as gzipped TFRecords of tf.Examples.

Each chunk is encoded at once by tfx-bsl's C++ encoder (the one TFX's own coders
use): building one tf.train.Example per digit in Python took 16 s for 60,000
digits here, the encoder 1 s.
"""

import os
from typing import Iterable, List, Tuple

import numpy as np
import pyarrow as pa
import tensorflow as tf
from tfx_bsl.coders import example_coder

from mnist_tfx.lib.features import LABEL_KEY
from mnist_tfx.lib.features import PIXELS_KEY

# zlib level 1: four times faster than the default level 6, files 14% larger.
_OPTIONS = tf.io.TFRecordOptions(compression_type='GZIP', compression_level=1)


def write_tfrecords(chunks: Iterable[Tuple[np.ndarray, np.ndarray]],
                    path: str) -> int:
  """Writes every example of `chunks` to `path`; returns how many."""
  tf.io.gfile.makedirs(os.path.dirname(path))
  count = 0
  with tf.io.TFRecordWriter(path, _OPTIONS) as writer:
    for pixels, labels in chunks:
      for serialized in to_examples(pixels, labels):
        writer.write(serialized)
      count += len(labels)
  return count


def to_examples(pixels: np.ndarray, labels: np.ndarray) -> List[bytes]:
  """Serialized tf.Examples: 784 pixels as an int64 list (so statistics and schema can
  check them), and the label as a one-value int64 list."""
  batch = pa.RecordBatch.from_arrays(
      [_int64_lists(pixels.reshape(len(pixels), -1)), _int64_lists(labels.reshape(-1, 1))],
      [PIXELS_KEY, LABEL_KEY])
  return example_coder.RecordBatchToExamples(batch)


def _int64_lists(matrix: np.ndarray) -> pa.ListArray:
  """One int64 list per row of `matrix`."""
  rows, width = matrix.shape
  offsets = np.arange(0, rows * width + 1, width, dtype=np.int32)
  return pa.ListArray.from_arrays(offsets, matrix.reshape(-1).astype(np.int64))
