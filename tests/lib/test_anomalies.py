"""Anomalies, one line each: as DataGate's error and the run report list them."""

from tensorflow_metadata.proto.v0 import anomalies_pb2

from mnist_tfx.lib import anomalies


def test_one_line_per_feature_by_name_then_the_datasets():
  found = anomalies_pb2.Anomalies()
  assert anomalies.lines(found) == []
  found.anomaly_info['pixels'].description = 'Some values are above the maximum 255.'
  found.anomaly_info['label'].description = 'Unexpected value 12.'
  found.dataset_anomaly_info.description = 'Too few examples.'
  assert anomalies.lines(found) == ['label: Unexpected value 12.',
                                    'pixels: Some values are above the maximum 255.',
                                    'dataset: Too few examples.']
