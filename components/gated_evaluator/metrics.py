"""The Evaluator's figures, read back from its output: the one reader of them.

The run report and the run record both show them, so they must count the same.
"""

import dataclasses
from typing import Dict, Optional

import tensorflow_model_analysis as tfma

from mnist_tfx.lib import features

ACCURACY = 'sparse_categorical_accuracy'  # TFMA's name for the gate's metric.
BASELINE = 'baseline'  # TFMA's model name for the served model.


@dataclasses.dataclass
class Evaluation:
  """The Evaluator's figures for the candidate, and for the served model if there was one."""
  accuracy: Optional[float] = None
  digit_accuracy: Dict[int, float] = dataclasses.field(default_factory=dict)
  baseline_accuracy: Optional[float] = None


def evaluation(evaluation_uri: str) -> Evaluation:
  """Overall and per-digit accuracy of the candidate; overall of the baseline."""
  result = Evaluation()
  for metrics in tfma.load_metrics(evaluation_uri):
    keys = metrics.slice_key.single_slice_keys
    for item in metrics.metric_keys_and_values:
      if item.key.name != ACCURACY or item.key.is_diff:
        continue
      value = item.value.double_value.value
      if item.key.model_name == BASELINE:
        if not keys:
          result.baseline_accuracy = value
      elif not keys:
        result.accuracy = value
      elif keys[0].column == features.LABEL_KEY:
        result.digit_accuracy[int(keys[0].int64_value)] = value
  return result
