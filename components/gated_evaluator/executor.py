"""GatedEvaluator's executor: TFX's, comparing with the served model only when there is one.

ServedModel always hands over an artifact; when nothing is served yet it is empty,
and the stock Evaluator would fail loading it. Dropped here, the Evaluator applies
its absolute thresholds alone (TFX's rubber stamp for a first model).

Its figures are then written once more, as figures.json for the steps
that show them without TFMA (lib/evaluation.py). Given no Beam arguments, TFMA's pipeline
runs on Beam's FnApiRunner (lib/beam_runner.py).
"""

from absl import logging
from tfx.components.evaluator import executor as evaluator_executor
from tfx.dsl.io import fileio
from tfx.types import standard_component_specs
from tfx.utils import path_utils

from mnist_tfx.lib import beam_runner
from mnist_tfx.lib import evaluation

_BASELINE = standard_component_specs.BASELINE_MODEL_KEY


class Executor(beam_runner.InMemoryRunner, evaluator_executor.Executor):
  """Drops an empty baseline, evaluates as the stock Evaluator does, writes figures.json."""

  def Do(self, input_dict, output_dict, exec_properties):  # pylint: disable=invalid-name
    baselines = input_dict.get(_BASELINE) or []
    if baselines and not fileio.exists(path_utils.serving_model_path(baselines[0].uri)):
      logging.info('No served model yet: evaluating against the thresholds alone.')
      input_dict = {k: v for k, v in input_dict.items() if k != _BASELINE}
    super().Do(input_dict, output_dict, exec_properties)
    evaluation.write(output_dict[standard_component_specs.EVALUATION_KEY][0].uri)

