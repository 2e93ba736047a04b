"""Writes (pixels, label) chunks as gzipped TFRecords of tf.Examples."""

import os
from typing import Iterable, Tuple

import numpy as np
import tensorflow as tf

from trainer_module.features import LABEL_KEY
from trainer_module.features import PIXELS_KEY


def write_tfrecords(chunks: Iterable[Tuple[np.ndarray, np.ndarray]],
                    path: str) -> int:
  """Writes every example of `chunks` to `path`; returns how many."""
  tf.io.gfile.makedirs(os.path.dirname(path))
  count = 0
  with tf.io.TFRecordWriter(path, options='GZIP') as writer:
    for pixels, labels in chunks:
      for row, label in zip(pixels, labels):
        writer.write(to_example(row, label).SerializeToString())
      count += len(labels)
  return count


def to_example(pixels: np.ndarray, label: int) -> tf.train.Example:
  """784 pixels as an int64 list (so statistics and schema can check them), and the label."""
  return tf.train.Example(features=tf.train.Features(feature={
      PIXELS_KEY: tf.train.Feature(int64_list=tf.train.Int64List(value=pixels.tolist())),
      LABEL_KEY: tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
  }))
