"""What only the page shows, read from the run's artifacts into plain numbers.

One function per artifact; what the run decided (the Evaluator's figures, the label
check, the span tests, how training started, the push) is the run record's
(lib/run_record.py). The page and the figures never see an artifact. The
test digits' predictions are the candidate model's own, through the same
signature TFMA called (serving_default), so the page's confusion matrix and
misclassified digits count what the Evaluator's accuracy counts.
"""

import dataclasses
import os
from typing import Dict, List

import numpy as np
import tensorflow as tf
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tensorflow_metadata.proto.v0 import statistics_pb2
from tfx.types import artifact_utils
from tfx.utils import io_utils

from mnist_tfx.lib import anomalies as anomalies_lib
from mnist_tfx.lib import contracts
from mnist_tfx.lib import features
from mnist_tfx.lib import payloads
from mnist_tfx.lib import split_predictions

EVAL_SPLIT = 'eval'
# StatisticsGen's file in each split's folder, and the name of the unsliced statistics
# (tfx/components/statistics_gen/stats_artifact_utils.py and TFDV's DatasetListView read
# them so). Read here through the proto, as TFDV's import is most of a Kubeflow step's
# start-up (kubeflow/README.md, "Step start-up").
STATISTICS_FILE = 'FeatureStats.pb'
DEFAULT_SLICE = 'All Examples'


@dataclasses.dataclass
class SplitData:
  """One split's statistics, as StatisticsGen measured them."""
  examples: int
  per_digit: np.ndarray  # [10] counts.
  pixel_mean: float
  pixel_std: float
  pixel_min: float
  pixel_max: float
  zero_share: float  # Of all pixel values.


@dataclasses.dataclass
class Predictions:
  """Every test digit, its label and the candidate's digit."""
  images: np.ndarray  # [N, 784] uint8.
  labels: np.ndarray  # [N] int.
  predicted: np.ndarray  # [N] int.

  def confusion(self) -> np.ndarray:
    matrix = np.zeros((features.NUM_CLASSES, features.NUM_CLASSES), np.int64)
    np.add.at(matrix, (self.labels, self.predicted), 1)
    return matrix

  def wrong(self) -> np.ndarray:
    return np.flatnonzero(self.labels != self.predicted)


def history(model_run_uri: str) -> payloads.TrainingHistory:
  """The Trainer's per-epoch history; empty if the model was trained without writing it."""
  path = os.path.join(model_run_uri, contracts.File.HISTORY)
  if not tf.io.gfile.exists(path):
    return payloads.TrainingHistory()
  with tf.io.gfile.GFile(path) as f:
    return payloads.TrainingHistory.from_json(f.read())


def statistics(statistics_artifact) -> Dict[str, SplitData]:
  """Examples per split and per digit, and the pixel values' statistics."""
  result = {}
  for split in artifact_utils.decode_split_names(statistics_artifact.split_names):
    dataset = split_statistics(statistics_artifact, split)
    by_name = {f.path.step[0]: f for f in dataset.features}
    per_digit = np.zeros(features.NUM_CLASSES, np.int64)
    for value in by_name[features.LABEL_KEY].string_stats.top_values:
      per_digit[int(value.value)] = int(value.frequency)
    pixels = by_name[features.PIXELS_KEY].num_stats
    result[split] = SplitData(
        examples=int(dataset.num_examples), per_digit=per_digit, pixel_mean=pixels.mean,
        pixel_std=pixels.std_dev, pixel_min=pixels.min, pixel_max=pixels.max,
        zero_share=pixels.num_zeros / max(1, pixels.common_stats.tot_num_values))
  return result


def split_statistics(statistics_artifact, split: str) -> statistics_pb2.DatasetFeatureStatistics:
  """A split's unsliced statistics: the only dataset, or the one named DEFAULT_SLICE."""
  path = os.path.join(artifact_utils.get_split_uri([statistics_artifact], split),
                      STATISTICS_FILE)
  datasets = statistics_pb2.DatasetFeatureStatisticsList.FromString(
      io_utils.read_bytes_file(path)).datasets
  if len(datasets) == 1:
    return datasets[0]
  for dataset in datasets:
    if dataset.name == DEFAULT_SLICE:
      return dataset
  raise ValueError(f'{path} has no unsliced statistics')


def anomalies(anomalies_artifact) -> Dict[str, List[str]]:
  """Each split's anomalies against the schema, as DataGate found them (normally none)."""
  result = {}
  for split in artifact_utils.decode_split_names(anomalies_artifact.split_names):
    path = os.path.join(anomalies_artifact.uri, f'Split-{split}',
                        contracts.File.ANOMALIES)
    result[split] = anomalies_lib.lines(
        anomalies_pb2.Anomalies.FromString(io_utils.read_bytes_file(path)))
  return result


def predictions(examples_uri: str, model_uri: str) -> Predictions:
  """The candidate's digit for every example of the eval split."""
  model = split_predictions.load_model(model_uri)
  read = split_predictions.predict(model, os.path.join(examples_uri, f'Split-{EVAL_SPLIT}'),
                                   pixels=True)
  return Predictions(read.pixels, read.labels, read.digits)
