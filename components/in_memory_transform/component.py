"""InMemoryTransform: TFX's Transform, on Beam's FnApiRunner rather than Prism first."""

from tfx.components import Transform
from tfx.dsl.components.base import executor_spec

from mnist_tfx.components.in_memory_transform import executor


class InMemoryTransform(Transform):
  """Transform whose Beam pipelines, given no Beam arguments, run in memory
  (lib/beam_runner.py); the stock spec."""
  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
