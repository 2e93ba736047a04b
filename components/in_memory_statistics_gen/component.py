"""InMemoryStatisticsGen: TFX's StatisticsGen, on Beam's FnApiRunner rather than Prism first."""

from tfx.components import StatisticsGen
from tfx.dsl.components.base import executor_spec

from mnist_tfx.components.in_memory_statistics_gen import executor


class InMemoryStatisticsGen(StatisticsGen):
  """StatisticsGen whose Beam pipeline, given no Beam arguments, runs in memory
  (lib/beam_runner.py); the stock spec."""
  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
