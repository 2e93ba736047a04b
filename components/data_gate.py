"""DataGate: TFX's ExampleValidator, made to stop the run on anomalies and on drift.

The stock ExampleValidator only records anomalies; a pipeline that must never
train on bad data needs the run to fail there, with the anomalies in the message.
It also compares this run's training data with the previous run's (the
`previous` split IdxExampleGen writes when there is an earlier span), through
TFDV's drift comparators: the labels' distribution (L-infinity distance) and the
pixel intensities' (Jensen-Shannon divergence), with thresholds from configuration.
"""

import os

import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx.components import ExampleValidator
from tfx.components.example_validator import executor as validator_executor
from tfx.components.example_validator import labels
from tfx.components.statistics_gen import stats_artifact_utils
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec
from tfx.types import artifact_utils
from tfx.types import channel
from tfx.types import component_spec
from tfx.types import standard_artifacts
from tfx.types import standard_component_specs
from tfx.utils import io_utils
from tfx.utils import json_utils

from components.errors import DataError
from trainer_module.features import LABEL_KEY
from trainer_module.features import PIXELS_KEY

TRAIN_SPLIT = 'train'
PREVIOUS_SPLIT = 'previous'
LABEL_DRIFT_KEY = 'label_drift'
PIXEL_DRIFT_KEY = 'pixel_drift'


class DataGateSpec(component_spec.ComponentSpec):
  """ExampleValidator's spec, plus the two drift thresholds."""
  PARAMETERS = dict(
      standard_component_specs.ExampleValidatorSpec.PARAMETERS,
      **{LABEL_DRIFT_KEY: component_spec.ExecutionParameter(type=float),
         PIXEL_DRIFT_KEY: component_spec.ExecutionParameter(type=float)})
  INPUTS = standard_component_specs.ExampleValidatorSpec.INPUTS
  OUTPUTS = standard_component_specs.ExampleValidatorSpec.OUTPUTS


class DataGateExecutor(validator_executor.Executor):
  """Validates as ExampleValidator does, then raises DataError listing every anomaly or drift."""

  def Do(self, input_dict, output_dict, exec_properties):  # pylint: disable=invalid-name
    self._anomalies = []
    result = super().Do(input_dict, output_dict, exec_properties)
    problems = []
    for anomalies_file, anomalies in self._anomalies:
      for name, info in sorted(anomalies.anomaly_info.items()):
        problems.append(f'{name}: {info.description}')
      if anomalies.HasField('dataset_anomaly_info'):
        problems.append(f'dataset: {anomalies.dataset_anomaly_info.description}')
      if problems:
        raise DataError(anomalies_file, 'anomalies against the curated schema: ' +
                        '; '.join(problems))
    statistics = artifact_utils.get_single_instance(
        input_dict[standard_component_specs.STATISTICS_KEY])
    if PREVIOUS_SPLIT in artifact_utils.decode_split_names(statistics.split_names):
      self._check_drift(statistics, input_dict, exec_properties)
    return result

  def _check_drift(self, statistics, input_dict, exec_properties):
    schema = io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(
        artifact_utils.get_single_uri(input_dict[standard_component_specs.SCHEMA_KEY])))
    tfdv.get_feature(schema, LABEL_KEY).drift_comparator.infinity_norm.threshold = (
        exec_properties[LABEL_DRIFT_KEY])
    tfdv.get_feature(schema, PIXELS_KEY).drift_comparator.jensen_shannon_divergence.threshold = (
        exec_properties[PIXEL_DRIFT_KEY])
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

  def _Validate(self, inputs, outputs):  # pylint: disable=invalid-name
    anomalies = super()._Validate(inputs, outputs)
    path = os.path.join(outputs[labels.SCHEMA_DIFF_PATH], validator_executor.DEFAULT_FILE_NAME)
    self._anomalies.append((path, anomalies))
    return anomalies


class DataGate(ExampleValidator):
  """ExampleValidator whose run fails on anomalies or drift, so nothing downstream runs."""
  SPEC_CLASS = DataGateSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(DataGateExecutor)

  def __init__(self, statistics, schema, label_drift: float, pixel_drift: float):  # pylint: disable=super-init-not-called
    base_component.BaseComponent.__init__(self, spec=DataGateSpec(
        statistics=statistics, schema=schema, exclude_splits=json_utils.dumps([]),
        label_drift=label_drift, pixel_drift=pixel_drift,
        anomalies=channel.Channel(type=standard_artifacts.ExampleAnomalies)))
