"""SpanTest: the candidate reads each trained span's own test digits, beside the fixed set.

A span may arrive with a t10k-* pair of its own. IdxExampleGen writes it as the split
`test_span_<N>` (lib/spans.py); here the Trainer's model predicts every digit of it
through `serving_default`, the signature TF Serving answers and the Evaluator calls, and
the accuracy, per digit and the most frequent confusions are recorded per span.

It shows people whether new data looks like the old: a span's accuracy far from the
fixed set's says its digits differ. It is not a gate, and never stops a run. The fixed
test set keeps every run's figure comparable with the served model's and with earlier
runs'. A span's own test digits come from the same source as its training labels
(wrong the same way, if they are wrong), vary in size and difficulty from span to
span, and a gate on them would compare models on different sets.
"""

import collections
import os

import numpy as np
import tensorflow as tf
from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.annotations import OutputArtifact
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils
from tfx.types.experimental.simple_artifacts import File
from tfx.types.standard_artifacts import Examples
from tfx.types.standard_artifacts import Model

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features
from mnist_tfx.lib import payloads
from mnist_tfx.lib import spans as spans_lib
from mnist_tfx.lib import split_predictions

_CONFUSIONS_KEPT = 5  # (true, predicted) pairs kept per span, most frequent first.


@component
def SpanTest(  # pylint: disable=invalid-name
    examples: InputArtifact[Examples],
    model: InputArtifact[Model],
    span_tests: OutputArtifact[File],
):
  """Writes <span_tests>/span_tests.json; never raises on low accuracy (not a gate).

  Args:
    examples: IdxExampleGen's; each `test_span_<N>` split is read whole.
    model: the Trainer's candidate, through its serving_default signature.
    span_tests: the output: span_tests.json and the custom property `span_tests` (the
      same, JSON): lib/payloads.py's SpanTests, oldest span first, each span's accuracy
      overall and per digit and its most frequent confusions. An empty list when no
      trained span carries test digits of its own.
  """
  numbers = {split: spans_lib.span_test_number(split)
             for split in artifact_utils.decode_split_names(examples.split_names)}
  splits = sorted((number, split) for split, number in numbers.items() if number is not None)
  found = []
  if splits:
    loaded = split_predictions.load_model(model.uri)
    for number, split in splits:
      read = split_predictions.predict(loaded, artifact_utils.get_split_uri([examples], split))
      found.append(_figures(number, split, read.labels, read.digits))
  text = payloads.SpanTests(found).to_json()
  with tf.io.gfile.GFile(os.path.join(span_tests.uri, contracts.File.SPAN_TESTS), 'w') as f:
    f.write(text)
  span_tests.set_string_custom_property(contracts.Property.SPAN_TESTS, text)


def _figures(number: int, split: str, labels: np.ndarray,
             digits: np.ndarray) -> payloads.SpanTest:
  """One span's record: accuracy overall and per digit, and its most frequent confusions."""
  wrong = labels != digits
  confusions = collections.Counter(zip(labels[wrong].tolist(), digits[wrong].tolist()))
  return payloads.SpanTest(
      span=number,
      split=split,
      digits=int(labels.size),
      accuracy=float(np.mean(~wrong)) if labels.size else None,
      per_digit={str(d): float(np.mean(digits[labels == d] == d))
                 for d in range(features.NUM_CLASSES) if np.any(labels == d)},
      confusions=[payloads.Confusion(true, predicted, count) for (true, predicted), count
                  in confusions.most_common(_CONFUSIONS_KEPT)])
