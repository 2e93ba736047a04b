"""mnist-pipeline predict: the digit in each image file, by the newest pushed model.

The model is the one TF Serving would serve (the highest version in the serving
directory), called through its raw-pixel signature, as a REST client would.
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


@dataclasses.dataclass
class Prediction:
  path: str
  digit: int
  probability: float
  probabilities: List[float]


def image_files(paths: List[str]) -> List[str]:
  """The files named, with each folder replaced by its PNG and JPEG files, sorted."""
  files = []
  for path in paths:
    if os.path.isdir(path):
      found = sorted(os.path.join(path, name) for name in os.listdir(path)
                     if name.lower().endswith(IMAGE_SUFFIXES))
      if not found:
        raise DataError(path, 'no PNG or JPEG files in this folder')
      files.extend(found)
    elif os.path.isfile(path):
      files.append(path)
    else:
      raise DataError(path, 'no such file or folder')
  return files


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


def predict(paths: List[str], serving_dir: str) -> Tuple[str, List[Prediction]]:
  """(the model's folder, a prediction per file): every image is prepared first
  (DataError on the first bad one), then the model is asked once for all."""
  model_dir = newest_model(serving_dir)
  files = image_files(paths)
  pixels = np.stack([digit_image.read(path) for path in files])
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  model = tf.saved_model.load(model_dir)
  outputs = model.signatures[contracts.Signature.SERVING_PIXELS](pixels=tf.constant(pixels))
  probabilities = outputs['probabilities'].numpy()
  return model_dir, [Prediction(path, int(row.argmax()), float(row.max()),
                                [float(p) for p in row])
                     for path, row in zip(files, probabilities)]


def format_lines(predictions: List[Prediction], model_dir: str) -> str:
  lines = [f'model: {model_dir}']
  lines += [f'{p.path}: {p.digit} (probability {p.probability:.3f})' for p in predictions]
  return '\n'.join(lines) + '\n'


def format_json(predictions: List[Prediction], model_dir: str) -> str:
  return json.dumps({'model': model_dir,
                     'predictions': [dataclasses.asdict(p) for p in predictions]}, indent=1) + '\n'
