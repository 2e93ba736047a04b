"""DataGate's contract: its inputs, output and parameters, each by its key.

The inputs and the output are ExampleValidator's (same keys, same types), so the
anomalies artifact reads like the stock one; the two drift thresholds are ours.
"""

from tfx.types import component_spec
from tfx.types import standard_artifacts
from tfx.types import standard_component_specs

STATISTICS_KEY = standard_component_specs.STATISTICS_KEY
SCHEMA_KEY = standard_component_specs.SCHEMA_KEY
ANOMALIES_KEY = standard_component_specs.ANOMALIES_KEY
LABEL_DRIFT_KEY = 'label_drift'
PIXEL_DRIFT_KEY = 'pixel_drift'


class DataGateSpec(component_spec.ComponentSpec):
  """Statistics and schema in, anomalies per split out; the drift thresholds as parameters."""
  PARAMETERS = {
      LABEL_DRIFT_KEY: component_spec.ExecutionParameter(type=float),
      PIXEL_DRIFT_KEY: component_spec.ExecutionParameter(type=float),
  }
  INPUTS = {
      STATISTICS_KEY: component_spec.ChannelParameter(type=standard_artifacts.ExampleStatistics),
      SCHEMA_KEY: component_spec.ChannelParameter(type=standard_artifacts.Schema),
  }
  OUTPUTS = {
      ANOMALIES_KEY: component_spec.ChannelParameter(type=standard_artifacts.ExampleAnomalies),
  }
