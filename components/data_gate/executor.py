"""DataGate's executor: TFDV's validation of each split, then the drift check, then the verdict.

It calls TFDV itself, as ExampleValidator's executor does, and writes the same
files (Split-<name>/SchemaDiff.pb), so the anomalies artifact reads like the stock
one; raising is what ExampleValidator would not do.
"""

import os

from absl import logging
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx.components.statistics_gen import stats_artifact_utils
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils

from mnist_tfx.components.data_gate import spec
from mnist_tfx.lib import anomalies as anomalies_lib
from mnist_tfx.lib import contracts
from mnist_tfx.lib.errors import DataError
from mnist_tfx.lib.features import LABEL_KEY
from mnist_tfx.lib.features import PIXELS_KEY

TRAIN_SPLIT = 'train'
PREVIOUS_SPLIT = 'previous'


class Executor(base_executor.BaseExecutor):
  """Writes every split's anomalies, then raises DataError listing a split's anomalies, or
  the drift."""

  def Do(self, input_dict, output_dict, exec_properties):  # pylint: disable=invalid-name
    statistics = artifact_utils.get_single_instance(input_dict[spec.STATISTICS_KEY])
    anomalies = artifact_utils.get_single_instance(output_dict[spec.ANOMALIES_KEY])
    schema = io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(
        artifact_utils.get_single_uri(input_dict[spec.SCHEMA_KEY])))
    splits = artifact_utils.decode_split_names(statistics.split_names)
    anomalies.split_names = artifact_utils.encode_split_names(splits)
    anomalies.span = statistics.span

    problems = {}
    for split in splits:
      found = tfdv.validate_statistics(
          stats_artifact_utils.load_statistics(statistics, split).proto(), schema)
      path = os.path.join(artifact_utils.get_split_uri([anomalies], split),
                          contracts.File.ANOMALIES)
      io_utils.write_bytes_file(path, found.SerializeToString())
      logging.info('Split %s validated; anomalies written to %s.', split, path)
      problems[path] = anomalies_lib.lines(found)
    # As ExampleValidator marks its output: per split, 1 if it has no anomaly.
    anomalies.set_json_value_custom_property(
        contracts.Property.BLESSED,
        {split: int(not listed) for split, listed in zip(splits, problems.values())})

    for path, listed in problems.items():
      if listed:
        raise DataError(path, 'anomalies against the curated schema: ' + '; '.join(listed))
    if PREVIOUS_SPLIT in splits:
      _check_drift(statistics, schema, exec_properties)


def _check_drift(statistics, schema, exec_properties) -> None:
  """Raises DataError when the training data drifted from the previous run's beyond a threshold."""
  tfdv.get_feature(schema, LABEL_KEY).drift_comparator.infinity_norm.threshold = (
      exec_properties[spec.LABEL_DRIFT_KEY])
  tfdv.get_feature(schema, PIXELS_KEY).drift_comparator.jensen_shannon_divergence.threshold = (
      exec_properties[spec.PIXEL_DRIFT_KEY])
  current = stats_artifact_utils.load_statistics(statistics, TRAIN_SPLIT).proto()
  previous = stats_artifact_utils.load_statistics(statistics, PREVIOUS_SPLIT).proto()
  anomalies = tfdv.validate_statistics(current, schema, previous_statistics=previous)
  drifted = [f'{name}: {info.description}'
             for name, info in sorted(anomalies.anomaly_info.items())
             if any(anomalies_pb2.AnomalyInfo.Type.Name(reason.type).startswith('COMPARATOR_')
                    for reason in info.reason)]
  if drifted:
    raise DataError(
        os.path.join(statistics.uri, f'Split-{TRAIN_SPLIT}'),
        'the training data drifted from the previous run\'s (the span before): ' +
        '; '.join(drifted))
