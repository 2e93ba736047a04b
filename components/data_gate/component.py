"""DataGate: validation that stops the run on anomalies and on drift.

TFX's ExampleValidator only records anomalies; a pipeline that must never train
on bad data needs the run to fail there, with the anomalies in the message. It
also compares this run's training data with the previous run's (the `previous`
split IdxExampleGen writes when there is an earlier span), through TFDV's drift
comparators: the labels' distribution (L-infinity distance) and the pixel
intensities' (Jensen-Shannon divergence), with thresholds from configuration.
"""

from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec
from tfx.types import channel
from tfx.types import standard_artifacts

from mnist_tfx.components.data_gate import executor
from mnist_tfx.components.data_gate import spec


class DataGate(base_component.BaseComponent):
  """Fails the run on any anomaly against the schema, or on drift, so nothing downstream runs."""
  SPEC_CLASS = spec.DataGateSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

  def __init__(self, statistics: channel.BaseChannel, schema: channel.BaseChannel,
               label_drift: float, pixel_drift: float):
    super().__init__(spec=spec.DataGateSpec(
        statistics=statistics, schema=schema, label_drift=label_drift,
        pixel_drift=pixel_drift,
        anomalies=channel.Channel(type=standard_artifacts.ExampleAnomalies)))
