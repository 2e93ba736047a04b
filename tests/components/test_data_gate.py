"""DataGate on real statistics: examples that break the curated schema stop the run, and its
anomalies are ExampleValidator's, file for file."""

import json
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
  from tfx.types import standard_artifacts  # pylint: disable=g-import-not-at-top
  from mnist_tfx.components.data_gate.executor import Executor as DataGateExecutor  # pylint: disable=g-import-not-at-top
  from mnist_tfx.components.idx_example_gen import records  # pylint: disable=g-import-not-at-top
  from mnist_tfx.components.in_memory_statistics_gen import executor as stats_executor  # pylint: disable=g-import-not-at-top

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
  inputs = {'statistics': [statistics], 'schema': [schema]}
  try:
    DataGateExecutor().Do(inputs, {'anomalies': [anomalies]},
                          {'label_drift': label_drift, 'pixel_drift': pixel_drift})
  finally:
    _same_as_example_validators(tmp_path, inputs, anomalies)


def _same_as_example_validators(tmp_path, inputs, ours):
  """TFX's own ExampleValidator on the same statistics writes the same anomalies and
  properties: DataGate validates as it does, with TFDV, and only adds the verdict."""
  # pylint: disable=g-import-not-at-top
  from tensorflow_metadata.proto.v0 import anomalies_pb2
  from tfx.components.example_validator import executor as stock
  from tfx.types import standard_artifacts
  # pylint: enable=g-import-not-at-top
  theirs = _artifact(standard_artifacts.ExampleAnomalies, tmp_path / 'stock_anomalies')
  stock.Executor().Do(inputs, {'anomalies': [theirs]}, {'exclude_splits': '[]'})
  assert ours.split_names == theirs.split_names and ours.span == theirs.span
  assert (ours.get_json_value_custom_property('blessed') ==
          theirs.get_json_value_custom_property('blessed'))
  for split in json.loads(ours.split_names):
    name = os.path.join(f'Split-{split}', stock.DEFAULT_FILE_NAME)
    read = [anomalies_pb2.Anomalies.FromString((tmp_path / folder / name).read_bytes())
            for folder in ('anomalies', 'stock_anomalies')]
    assert read[0] == read[1], split  # Compared as protos: a map's bytes come in any order.


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


def test_a_spans_own_test_digits_are_validated_but_not_compared_for_drift(tmp_path, mnist_arrays):
  """A test_span_<N> split (lib/spans.py) is checked against the schema like any split; the
  drift check still compares train with previous only, however different the span's test
  digits are (three digits alone here)."""
  from mnist_tfx.lib import spans  # pylint: disable=g-import-not-at-top
  images, labels = mnist_arrays['train']
  test_images, test_labels = mnist_arrays['eval']
  three = np.isin(test_labels, [0, 1, 2])
  split = spans.span_test_split(2)
  training = {'train': [(images[:2500], labels[:2500])],
              'previous': [(images[2500:], labels[2500:])]}
  _validate(tmp_path / 'three', {**training, split: [(test_images[three], test_labels[three])]})
  wrong = test_labels.astype(np.int64)
  wrong[7] = 12  # Outside the label domain 0..9.
  with pytest.raises(DataError) as error:
    _validate(tmp_path / 'anomaly', {**training, split: [(test_images, wrong)]})
  assert f'Split-{split}' in error.value.path and 'label:' in str(error.value)
