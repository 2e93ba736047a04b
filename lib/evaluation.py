"""The Evaluator's figures: read once from TFMA's output, then handed on as figures.json.

The run report and the run record both show them, so they must count the same.
GatedEvaluator's executor reads TFMA's metrics (from_tfma) and writes them beside
them (payloads.Evaluation); every other reader takes the JSON (lib/run_record.py's
Evaluator reader), so that a step which only shows the figures (RunReport on Kubeflow)
need not import TFMA, which is most of its start-up (kubeflow/README.md, "Step start-up").
"""

import os

from tfx.dsl.io import fileio

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features
from mnist_tfx.lib import payloads

ACCURACY = 'sparse_categorical_accuracy'  # TFMA's name for the gate's metric.
BASELINE = 'baseline'  # TFMA's model name for the served model.


def from_tfma(evaluation_uri: str) -> payloads.Evaluation:
  """Overall and per-digit accuracy of the candidate; overall of the baseline."""
  import tensorflow_model_analysis as tfma  # pylint: disable=g-import-not-at-top
  result = payloads.Evaluation()
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


def write(evaluation_uri: str) -> payloads.Evaluation:
  """Reads TFMA's output in the evaluation's folder and writes its figures.json."""
  evaluation = from_tfma(evaluation_uri)
  with fileio.open(os.path.join(evaluation_uri, contracts.File.EVALUATION_FIGURES), 'w') as f:
    f.write(evaluation.to_json())
  return evaluation
