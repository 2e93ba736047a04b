"""A model's digit for every example of a split, asked through `serving_default`.

LabelCheck (the served model on the new training digits), SpanTest (the candidate on
each span's own test digits) and the run report (the candidate on the fixed test set)
all read a split this way: the signature TF Serving answers and the Evaluator calls,
given the records as IdxExampleGen wrote them, in file order.
"""

import dataclasses
import os
from typing import Optional

import numpy as np
import tensorflow as tf
from tfx.utils import path_utils

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features

# A split's files as TFX's ExampleGen names them: Split-<name>/data_tfrecord-*.gz, gzipped
# TFRecords. Sorted, so that "file order" is the same on every filesystem.
FILE_PATTERN = '*.gz'
# Records per call of the signature. Each digit is its example's own: at inference the
# model's batch normalization uses its moving averages, not the batch's statistics.
BATCH = 1024


@dataclasses.dataclass
class SplitPredictions:
  """Every example of a split, in file order."""
  labels: np.ndarray  # [N] int64.
  digits: np.ndarray  # [N] int64, the model's.
  pixels: Optional[np.ndarray] = None  # [N, 784] uint8, when asked for.


def load_model(model_uri: str):
  """The SavedModel of a Model artifact (its Format-Serving folder).

  Keep it while predicting: its signature uses its variables.
  """
  return tf.saved_model.load(path_utils.serving_model_path(model_uri))


def predict(model, split_uri: str, pixels: bool = False) -> SplitPredictions:
  """The labels and the model's digits of the split in `split_uri` (and the pixels, if
  asked: the run report draws the misclassified digits). An empty split gives empty arrays.
  """
  files = sorted(tf.io.gfile.glob(os.path.join(split_uri, FILE_PATTERN)))
  serve = model.signatures[contracts.Signature.SERVING_DEFAULT]
  spec = {features.LABEL_KEY: tf.io.FixedLenFeature([], tf.int64)}
  if pixels:
    spec[features.PIXELS_KEY] = tf.io.FixedLenFeature([features.PIXELS], tf.int64)
  labels, digits = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
  images = [np.zeros((0, features.PIXELS), np.uint8)]
  for batch in tf.data.TFRecordDataset(files, compression_type='GZIP').batch(BATCH):
    parsed = tf.io.parse_example(batch, spec)
    labels.append(parsed[features.LABEL_KEY].numpy())
    digits.append(serve(examples=batch)['digit'].numpy())
    if pixels:
      images.append(parsed[features.PIXELS_KEY].numpy().astype(np.uint8))
  return SplitPredictions(np.concatenate(labels), np.concatenate(digits),
                          np.concatenate(images) if pixels else None)
