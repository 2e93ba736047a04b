"""InMemoryTransform's executor: TFX's, on Beam's FnApiRunner when given no Beam arguments."""

from tfx.components.transform import executor as transform_executor

from mnist_tfx.lib import beam_runner


class Executor(beam_runner.InMemoryRunner, transform_executor.Executor):
  """The stock Transform's work, on the runner lib/beam_runner.py names."""
