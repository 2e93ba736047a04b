"""DataGate on real statistics: examples that break the curated schema stop the run."""

import os
import shutil

import numpy as np
import pytest

from mnist_tfx.lib.errors import DataError
from mnist_tfx.pipeline import configs


def _artifact(kind, uri, split_names=None):
  from tfx.types import artifact_utils  # pylint: disable=g-import-not-at-top
  artifact = kind()
  artifact.uri = str(uri)
  if split_names:
    artifact.split_names = artifact_utils.encode_split_names(split_names)
  return artifact


def _validate(tmp_path, splits, label_drift=0.05, pixel_drift=0.001):
  """Writes {split: chunks}, runs StatisticsGen (with the schema, as the pipeline does)
  then DataGate's executor on them."""
  from tfx.components.statistics_gen import executor as stats_executor  # pylint: disable=g-import-not-at-top
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  from mnist_tfx.components.data_gate.executor import Executor as DataGateExecutor  # pylint: disable=g-import-not-at-top
  from mnist_tfx.components.idx_example_gen import records  # pylint: disable=g-import-not-at-top

  for split, chunks in splits.items():
    records.write_tfrecords(chunks, str(tmp_path / 'examples' / f'Split-{split}' / 'data.gz'))
  examples = _artifact(standard_artifacts.Examples, tmp_path / 'examples', list(splits))
  os.makedirs(tmp_path / 'schema')
  shutil.copy(configs.SCHEMA_PATH, tmp_path / 'schema' / 'schema.pbtxt')
  schema = _artifact(standard_artifacts.Schema, tmp_path / 'schema')
  statistics = _artifact(standard_artifacts.ExampleStatistics, tmp_path / 'statistics')
  stats_executor.Executor().Do({'examples': [examples], 'schema': [schema]},
                               {'statistics': [statistics]}, {'exclude_splits': '[]'})
  anomalies = _artifact(standard_artifacts.ExampleAnomalies, tmp_path / 'anomalies')
  DataGateExecutor().Do({'statistics': [statistics], 'schema': [schema]},
                        {'anomalies': [anomalies]},
                        {'label_drift': label_drift,
                         'pixel_drift': pixel_drift})


def test_clean_digits_pass_and_do_not_drift(tmp_path, mnist_arrays):
  images, labels = mnist_arrays['train']
  _validate(tmp_path, {'train': [(images[:2500], labels[:2500])],
                       'previous': [(images[2500:], labels[2500:])]})


def test_anomalies_stop_the_run_and_are_listed(tmp_path, mnist_arrays):
  images, labels = mnist_arrays['eval']
  images, labels = images[:200].astype(np.int64), labels[:200].astype(np.int64)
  labels[7] = 12            # Outside the label domain 0..9.
  short = images[:1, :700]  # 700 pixels instead of 784.
  with pytest.raises(DataError) as error:
    _validate(tmp_path, {'eval': [(images, labels), (short, labels[:1])]})
  message = str(error.value)
  assert 'Split-eval' in error.value.path
  assert 'label:' in message and 'pixels:' in message


def test_a_span_of_three_digits_drifts_and_says_by_how_much(tmp_path, mnist_arrays):
  images, labels = mnist_arrays['train']
  three = np.isin(labels, [0, 1, 2])
  with pytest.raises(DataError) as error:
    _validate(tmp_path, {'train': [(images[three], labels[three])],
                         'previous': [(images[~three], labels[~three])]})
  message = str(error.value)
  assert 'Split-train' in error.value.path
  assert 'drifted' in message and 'label: The Linfty distance' in message
  assert 'above the threshold 0.05' in message
