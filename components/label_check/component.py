"""LabelCheck: the served model reads the new training digits before anything trains on them.

Distribution drift cannot see wrong labels: shuffling 30% of a span's labels leaves the
label shares and the pixels exactly as they were, and DataGate passes it. The model being
served can see them. It predicts every training digit, and the share of labels it agrees
with is compared with its own accuracy on the fixed test set, measured here the same way.
Clean digits agree about as often as test digits; a share of wrong labels lowers the
agreement by about that share. Below the test accuracy less `margin`, the run stops
before Transform and the Trainer, naming the labels the model disagrees with most.

The served model is StartingModel's copy: the model served when the data arrived. With
no model served then, or a damaged one, there is nothing to compare with: the check says
so and the run goes on. A failed check is not cached: the next run on the same data
checks again.
"""

import collections
import json
import os
from typing import Dict, Tuple

from absl import logging
import numpy as np
import tensorflow as tf
from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.annotations import OutputArtifact
from tfx.dsl.component.experimental.annotations import Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.experimental.simple_artifacts import File
from tfx.types.standard_artifacts import Examples
from tfx.types.standard_artifacts import Model
from tfx.types import artifact_utils

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features
from mnist_tfx.lib import payloads
from mnist_tfx.lib import split_predictions
from mnist_tfx.lib.errors import DataError

# Label pairs named in the message and kept in the record, most frequent first.
_PAIRS_NAMED = 3
_PAIRS_KEPT = 10


@component
def LabelCheck(  # pylint: disable=invalid-name
    examples: InputArtifact[Examples],
    served: InputArtifact[Model],
    check: OutputArtifact[File],
    margin: Parameter[float],
):
  """Writes <check>/label_check.json; raises DataError when the labels disagree too much.

  Args:
    examples: IdxExampleGen's: `train` is checked, `eval` (the fixed test set) gives the
      served model's own accuracy.
    check: the output: label_check.json (lib/payloads.py's LabelCheckResult: agreement
      overall and per digit, the served model's test accuracy, the most frequent
      disagreements) and the custom property `label_check` (the same, JSON). Not written
      when the check stops the run.
    served: StartingModel's copy of the model served when the data arrived (empty when
      none was, or it was damaged), with its `served_version` and `served_problem`.
    margin: how far below the served model's test accuracy the agreement may fall.

  Like StartingModel, the cache keys on the examples, not on what is served now: the data
  is checked once, against the model served when it arrived.
  """
  version = served.get_string_custom_property(contracts.Property.SERVED_VERSION) or None
  problem = served.get_string_custom_property(contracts.Property.SERVED_PROBLEM) or None
  if version is None or problem is not None:
    why = (f'served version {version} is damaged ({problem})' if problem
           else 'no model served yet')
    _write(check, payloads.LabelCheckResult(version=version or '', skipped=why))
    logging.info('LabelCheck: %s: the labels were not checked.', why)
    return
  model = split_predictions.load_model(served.uri)
  train = split_predictions.predict(model, artifact_utils.get_split_uri([examples], 'train'))
  test = split_predictions.predict(model, artifact_utils.get_split_uri([examples], 'eval'))
  train_labels, train_digits = train.labels, train.digits
  found = payloads.LabelCheckResult(
      version=version,
      agreement=float(np.mean(train_labels == train_digits)),
      expected=float(np.mean(test.labels == test.digits)),
      margin=margin,
      digits=int(train_labels.size),
      per_digit={str(d): float(np.mean(train_digits[train_labels == d] == d))
                 for d in range(features.NUM_CLASSES) if np.any(train_labels == d)},
      disagreements=[payloads.Disagreement(int(read), int(label), count) for (read, label), count
                     in _disagreements(train_labels, train_digits).most_common(_PAIRS_KEPT)])
  if found.agreement < found.floor():
    spans = json.loads(examples.get_string_custom_property(contracts.Property.SPANS))
    raise DataError(
        'span ' + ', '.join(str(part['span']) for part in spans['train']),
        f"the served model (version {version}) agrees with {found.agreement:.4f} of its "
        f"{found.digits} labels; expected at least {found.floor():.4f} (its "
        f"test accuracy {found.expected:.4f} less --label-agreement-margin {margin:g}). "
        'Most disagreed: ' + ', '.join(
            f'{pair.read} labelled as {pair.label}: {pair.count}'
            for pair in found.disagreements[:_PAIRS_NAMED])
        + '. The labels look wrong: nothing was trained')
  _write(check, found)


def _disagreements(labels: np.ndarray, digits: np.ndarray) -> Dict[Tuple[int, int], int]:
  """{(digit read, label): count} where they differ."""
  wrong = labels != digits
  return collections.Counter(zip(digits[wrong].tolist(), labels[wrong].tolist()))


def _write(check, found: payloads.LabelCheckResult) -> None:
  text = found.to_json()
  with tf.io.gfile.GFile(os.path.join(check.uri, contracts.File.LABEL_CHECK), 'w') as f:
    f.write(text)
  check.set_string_custom_property(contracts.Property.LABEL_CHECK, text)
