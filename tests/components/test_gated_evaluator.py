"""GatedEvaluator's executor (TFMA, in Beam) on the session's tiny model and 500 test digits.

With nothing served, ServedModel's baseline is empty and the thresholds alone decide: the
session's evaluation (tests/support/artifacts.make_evaluated) blesses a model that passes
them, with figures that are the model's own answers. Against a served model that reads
every digit right, under thresholds set from the model's answers, every threshold it misses
is named and nothing is blessed.
"""

import os

import numpy as np
import pytest

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features
from mnist_tfx.lib import payloads
from tests.support import artifacts

# pylint: disable=g-import-not-at-top  (TFX loads inside the tests, not at collection.)


def _handed_on(evaluation) -> payloads.Evaluation:
  """figures.json, as GatedEvaluator wrote it for the run record's reader."""
  with open(os.path.join(evaluation.uri, contracts.File.EVALUATION_FIGURES)) as f:
    return payloads.Evaluation.from_json(f.read())


def _answers(tiny_trained):
  return artifacts.answers(artifacts.serving_model(tiny_trained['model']),
                           artifacts.split_uri(tiny_trained['examples'], 'eval'))


def _figures(tiny_trained):
  """The tiny model's accuracy, overall and per digit, from its answers on the eval split."""
  labels, digits = _answers(tiny_trained)
  return np.mean(labels == digits), {d: np.mean(digits[labels == d] == d) for d in range(10)}


def _failures(evaluation):
  """{(digit or None for overall, metric, is_diff)} of every threshold the candidate missed."""
  import tensorflow_model_analysis as tfma
  result = tfma.load_validation_result(evaluation.uri)
  found = set()
  for per_slice in result.metric_validations_per_slice:
    keys = per_slice.slice_key.single_slice_keys
    digit = int(keys[0].int64_value) if keys else None
    for failure in per_slice.failures:
      found.add((digit, failure.metric_key.name, failure.metric_key.is_diff))
  return result.validation_ok, found


def test_with_nothing_served_the_thresholds_alone_bless_the_models_own_figures(
    tiny_trained, tiny_evaluated):
  from mnist_tfx.lib import evaluation as metrics
  baseline = artifacts.artifact(tiny_evaluated['baseline'])
  assert baseline.get_string_custom_property(contracts.Property.SERVED_VERSION) == ''
  blessing = artifacts.artifact(tiny_evaluated['blessing'])
  assert blessing.get_int_custom_property(contracts.Property.BLESSED) == 1
  evaluation = artifacts.artifact(tiny_evaluated['evaluation'])
  assert _failures(evaluation) == (True, set())
  figures = metrics.from_tfma(evaluation.uri)
  assert _handed_on(evaluation) == figures  # figures.json: TFMA's figures, handed on.
  accuracy, per_digit = _figures(tiny_trained)
  assert figures.accuracy == pytest.approx(accuracy, abs=1e-6)  # TFMA counts in float32.
  assert figures.digit_accuracy == pytest.approx(per_digit, abs=1e-6)
  assert figures.baseline_accuracy is None  # Evaluated alone: no baseline model.


def _oracle(path):
  """A SavedModel whose serving_default reads each digit's label: right every time."""
  import tensorflow as tf

  class Oracle(tf.Module):

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name='examples')])
    def serve(self, examples):
      label = tf.io.parse_example(examples, {
          features.LABEL_KEY: tf.io.FixedLenFeature([], tf.int64)})[features.LABEL_KEY]
      return {'probabilities': tf.one_hot(label, features.NUM_CLASSES), 'digit': label}

  oracle = Oracle()
  tf.saved_model.save(oracle, str(path), signatures={
      contracts.Signature.SERVING_DEFAULT: oracle.serve.get_concrete_function()})


def test_every_threshold_missed_is_named_and_nothing_is_blessed(tmp_path, tiny_trained):
  """A threshold above the model's accuracy, a floor amid its digits' and a served model that
  reads every digit right: the overall threshold, each digit below the floor and the
  regression from the served model each fail, and nothing else does."""
  from mnist_tfx.lib import evaluation as metrics
  from mnist_tfx.components.gated_evaluator.component import GatedEvaluator
  from mnist_tfx.components.served_model.component import ServedModel
  from mnist_tfx.lib import serving_dir
  from mnist_tfx.lib.contracts import ComponentId
  accuracy, per_digit = _figures(tiny_trained)
  # Halfway between two digits' accuracies near the middle: about half the digits fall below.
  values = sorted(set(per_digit.values()))
  floor = float(values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
  config = artifacts.pipeline_config(tmp_path, accuracy_threshold=round(accuracy + 0.01, 4),
                                     digit_accuracy_floor=floor, max_regression=0.1)
  properties = artifacts.exec_properties(config)
  _oracle(tmp_path / 'oracle')
  version = serving_dir.publish(str(tmp_path / 'oracle'), config.serving_dir)
  model = artifacts.artifact(tiny_trained['model'])
  baseline = artifacts.new('Model', tmp_path / 'baseline')
  ServedModel.EXECUTOR_SPEC.executor_class().Do(
      {'candidate': [model]}, {'baseline': [baseline]}, properties[ComponentId.SERVED_MODEL])
  assert baseline.get_string_custom_property(contracts.Property.SERVED_VERSION) == version
  evaluation = artifacts.new('ModelEvaluation', tmp_path / 'evaluation')
  blessing = artifacts.new('ModelBlessing', tmp_path / 'blessing')
  GatedEvaluator.EXECUTOR_SPEC.executor_class(artifacts.beam_context(tmp_path)).Do(
      {'examples': [artifacts.artifact(tiny_trained['examples'])], 'model': [model],
       'baseline_model': [baseline]},
      {'evaluation': [evaluation], 'blessing': [blessing]}, properties[ComponentId.EVALUATOR])
  assert blessing.get_int_custom_property(contracts.Property.BLESSED) == 0
  accuracy_name = metrics.ACCURACY
  below = {d for d, a in per_digit.items() if a < floor}
  assert below and len(below) < 10
  assert _failures(evaluation) == (False, {
      (None, accuracy_name, False), (None, accuracy_name, True),
      *((d, accuracy_name, False) for d in below)})
  figures = metrics.from_tfma(evaluation.uri)
  assert _handed_on(evaluation) == figures
  assert figures.baseline_accuracy == 1.0  # The served model was read, and compared with.
  assert figures.accuracy == pytest.approx(accuracy, abs=1e-6)
