"""DataGate: TFX's ExampleValidator, made to stop the run when it finds anomalies.

The stock ExampleValidator only records anomalies; a pipeline that must never
train on bad data needs the run to fail there, with the anomalies in the message.
"""

import os

from tfx.components import ExampleValidator
from tfx.components.example_validator import executor as validator_executor
from tfx.components.example_validator import labels
from tfx.dsl.components.base import executor_spec

from components.errors import DataError


class DataGateExecutor(validator_executor.Executor):
  """Validates as ExampleValidator does, then raises DataError listing every anomaly."""

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
    return result

  def _Validate(self, inputs, outputs):  # pylint: disable=invalid-name
    anomalies = super()._Validate(inputs, outputs)
    path = os.path.join(outputs[labels.SCHEMA_DIFF_PATH], validator_executor.DEFAULT_FILE_NAME)
    self._anomalies.append((path, anomalies))
    return anomalies


class DataGate(ExampleValidator):
  """ExampleValidator whose run fails on anomalies, so nothing downstream of it runs."""
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(DataGateExecutor)
