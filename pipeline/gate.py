"""The Evaluator's gate as a TFMA EvalConfig: what a model must reach to be pushed."""

import tensorflow_model_analysis as tfma

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features

_ACCURACY = 'SparseCategoricalAccuracy'
_EQUAL_MARGIN = 1e-10


def eval_config(accuracy_threshold: float, digit_accuracy_floor: float,
                max_regression: float) -> tfma.EvalConfig:
  """Overall accuracy >= accuracy_threshold, each digit >= digit_accuracy_floor, and
  no more than max_regression below the served model (when one is served).

  The per-digit slices get their own floor: one threshold on every slice would
  fail a 0.993 model whose weakest digit sits at 0.985.
  """
  overall = tfma.SlicingSpec()
  per_digit = tfma.SlicingSpec(feature_keys=[features.LABEL_KEY])
  # TFMA passes a change >= the bound (metrics_validator.py), but the change is a
  # difference of floats: 0.994 - 0.995 is -0.0010000000000000009, which would fail
  # a bound of -0.001. The margin lets a candidate exactly at the bound pass.
  not_worse = tfma.GenericChangeThreshold(
      direction=tfma.MetricDirection.HIGHER_IS_BETTER,
      absolute={'value': -max_regression - _EQUAL_MARGIN})
  return tfma.EvalConfig(
      model_specs=[
          tfma.ModelSpec(
              signature_name=contracts.Signature.SERVING_DEFAULT,
              label_key=features.LABEL_KEY,
              prediction_key='probabilities')
      ],
      slicing_specs=[overall, per_digit],
      metrics_specs=[
          tfma.MetricsSpec(metrics=[
              tfma.MetricConfig(class_name='ExampleCount'),
              tfma.MetricConfig(
                  class_name=_ACCURACY,
                  per_slice_thresholds=[
                      tfma.PerSliceMetricThreshold(
                          slicing_specs=[overall],
                          threshold=tfma.MetricThreshold(
                              value_threshold=tfma.GenericValueThreshold(
                                  lower_bound={'value': accuracy_threshold}),
                              change_threshold=not_worse)),
                      tfma.PerSliceMetricThreshold(
                          slicing_specs=[per_digit],
                          threshold=tfma.MetricThreshold(
                              value_threshold=tfma.GenericValueThreshold(
                                  lower_bound={'value': digit_accuracy_floor}))),
                  ]),
          ])
      ])
