"""InMemoryStatisticsGen's executor: TFX's, on Beam's FnApiRunner when given no Beam arguments."""

from tfx.components.statistics_gen import executor as statistics_gen_executor

from mnist_tfx.lib import beam_runner


class Executor(beam_runner.InMemoryRunner, statistics_gen_executor.Executor):
  """The stock StatisticsGen's work, on the runner lib/beam_runner.py names."""
