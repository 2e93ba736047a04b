"""mnist-pipeline predict: the digit in each image file, by the newest pushed model.

The model is the one TF Serving would serve (the highest version in the serving
directory), called through its raw-pixel signature, as a REST client would. An answer
says when it is in doubt (unsure), and a file that cannot be read is refused alone:
a folder of photos with one blank among them still gets the others' answers.
"""

import dataclasses
import json
import os
from typing import List, Tuple

import numpy as np

from mnist_tfx.app import digit_image
from mnist_tfx.lib import contracts
from mnist_tfx.lib import serving_dir as serving_dir_lib
from mnist_tfx.lib.errors import DataError
from mnist_tfx.lib.errors import UsageError

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg')
# The model is asked about each digit as prepared and turned by these degrees, and the
# answers averaged: a digit tilted a little is the same digit, and where one tilt sits
# on the boundary between two digits (an upright printed 6 reads as a 5: MNIST's 6s
# lean), the others carry it. Chosen on TUNE (below) against 5 and 12 degrees, a
# second pair at 4, and none: without tilts 2 of TUNE's 160 clean images went wrong
# (a printed 6 as 5), with these 1 (a test digit the model itself reads 0.51 to 0.48).
TILTS = (0, 8, -8)
# An answer below this probability is marked unsure. Chosen on the TUNE set of photo-like
# images that the tests make (tests/support/photos.py; `python -m tests.support.photos
# SERVING_DIR` prints the table), never on the images the tests check: with a model of
# one epoch on all of MNIST's training digits, its 4 wrong answers of 570 had at most
# 0.58; 0.6 marked all 4 and 1.6% of the right ones, 0.7 (a step of margin) 3.4%.
# A model of three epochs got all 570 right, and 0.7 marked 0.9% of them.
UNSURE_BELOW = 0.7


@dataclasses.dataclass
class Prediction:
  """One image's answer: the digit, its probability and all ten, and any doubt."""
  path: str
  digit: int
  probability: float
  probabilities: List[float]
  unsure: List[str]  # Why the answer may be wrong; empty when it is not in doubt.


@dataclasses.dataclass
class Answer:
  """What predict found: a prediction per image read, and each file it could not read
  (in the order given), so that one bad file does not cost the others their answer."""
  model_dir: str
  predictions: List[Prediction]
  refused: List[DataError]


def image_files(path: str) -> List[str]:
  """The file named, or a folder's PNG and JPEG files sorted by name; DataError if neither."""
  if os.path.isdir(path):
    found = sorted(os.path.join(path, name) for name in os.listdir(path)
                   if name.lower().endswith(IMAGE_SUFFIXES))
    if not found:
      raise DataError(path, 'no PNG or JPEG files in this folder')
    return found
  if os.path.isfile(path):
    return [path]
  raise DataError(path, 'no such file or folder')


def newest_model(serving_dir: str) -> str:
  """The SavedModel of the highest version; UsageError if nothing was pushed yet, or if
  its files no longer match what was pushed (it would predict with damaged weights)."""
  version = serving_dir_lib.latest_version(serving_dir)
  if version is None:
    raise UsageError(f'{serving_dir}: no pushed model yet (mnist-pipeline run pushes '
                     'a blessed model there)')
  problem = serving_dir_lib.problem(serving_dir, version)
  if problem is not None:
    raise UsageError(f'the newest version is damaged: {problem} (mnist-pipeline run '
                     'replaces it; rollback serves an earlier one)')
  return os.path.join(serving_dir, version)


def predict(paths: List[str], serving_dir: str) -> Answer:
  """Every image is prepared first, then the model is asked once for all; a file that
  cannot be read is refused on its own (TensorFlow is not loaded when none can be)."""
  model_dir = newest_model(serving_dir)
  read, refused = [], []
  for path in paths:
    try:
      files = image_files(path)
    except DataError as e:
      refused.append(e)
      continue
    for file in files:
      try:
        read.append((file, digit_image.read_digit(file)))
      except DataError as e:
        refused.append(e)
  if not read:
    return Answer(model_dir, [], refused)
  probabilities = ask(model_dir, np.stack([digit.pixels for _, digit in read]))
  return Answer(model_dir, [_prediction(path, digit, row)
                            for (path, digit), row in zip(read, probabilities)], refused)


def ask(model_dir: str, pixels: np.ndarray) -> np.ndarray:
  """The model's probabilities for prepared digits [N, 28, 28], by its raw-pixel signature:
  for each, the mean over the digit at each of TILTS."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  model = tf.saved_model.load(model_dir)
  batch = np.stack([digit_image.tilted(digit, degrees)
                    for degrees in TILTS for digit in pixels]).astype(np.float32)
  outputs = model.signatures[contracts.Signature.SERVING_PIXELS](pixels=tf.constant(batch))
  return outputs['probabilities'].numpy().reshape(len(TILTS), len(pixels), -1).mean(axis=0)


def format_lines(answer: Answer) -> str:
  """The model, then a line per image; the refused files are the command's stderr."""
  lines = [f'model: {answer.model_dir}']
  for p in answer.predictions:
    doubt = f', unsure: {"; ".join(p.unsure)}' if p.unsure else ''
    lines.append(f'{p.path}: {p.digit} (probability {p.probability:.3f}){doubt}')
  return '\n'.join(lines) + '\n'


def format_json(answer: Answer) -> str:
  return json.dumps({'model': answer.model_dir,
                     'predictions': [dataclasses.asdict(p) for p in answer.predictions],
                     'refused': [{'path': e.path, 'problem': e.problem}
                                 for e in answer.refused]}, indent=1) + '\n'


def _prediction(path: str, digit: digit_image.Digit, probabilities: np.ndarray) -> Prediction:
  unsure = []
  if digit.digits > 1:
    unsure.append(f'it seems to hold {digit.digits} digits (the largest was read)')
  if probabilities.max() < UNSURE_BELOW:
    unsure.append(f'probability below {UNSURE_BELOW}')
  return Prediction(path, int(probabilities.argmax()), float(probabilities.max()),
                    [float(p) for p in probabilities], unsure)

