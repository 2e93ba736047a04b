"""GatedEvaluator: TFX's Evaluator, whose baseline (the served model) may be absent."""

from tfx.components import Evaluator
from tfx.dsl.components.base import executor_spec

from mnist_tfx.components.gated_evaluator import executor


class GatedEvaluator(Evaluator):
  """Evaluator that applies its absolute thresholds alone when nothing is served yet."""
  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
