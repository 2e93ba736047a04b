"""Chooses the warm-start recipe on a validation split cut from the training digits.

As in the README's demo, a model is trained from scratch (the fast recipe) on training
digits 0-19,999, the first span, and then retrained on digits 20,000-39,999, the
second: from scratch, and warm, starting from the first model's weights, with each
candidate schedule. Every model is scored on training digits 50,000-59,999, which none
of them trains on; the test digits are not read. Each phase normalizes with its own
training digits' mean and deviation, as the pipeline's Transform does per run.

Prints one JSON line per model and a table. Usage:
  .venv/bin/python -m bench.warm_start [--seeds 1 2]
"""

import time

# pylint: disable=g-import-not-at-top,wrong-import-position
import argparse
import dataclasses
import json
import os
import statistics
import sys

os.environ['TF_USE_LEGACY_KERAS'] = '1'

import numpy as np
import tensorflow as tf

from mnist_tfx.lib import idx
from mnist_tfx.trainer_module import keras_autograph
from mnist_tfx.trainer_module import model as model_lib
from mnist_tfx.trainer_module import training
# pylint: enable=g-import-not-at-top,wrong-import-position

SPAN = 20_000
VALIDATION = slice(50_000, 60_000)
# (epochs, peak learning rate) of the warm schedules tried; all rise over a tenth of an
# epoch, then fall linearly to 0, as the fast recipe does over a third.
CANDIDATES = ((1, 0.001), (1, 0.003), (2, 0.001), (2, 0.003))


def train(x, y, validation, recipe: training.Recipe, start=None):
  """(model, validation accuracy, seconds): `recipe` on (x, y), from `start`'s weights if given."""
  mean, std = x.mean(), x.std()

  def normalize(images):
    return ((images.astype(np.float32) - mean) / std).reshape(-1, 28, 28, 1)

  model = model_lib.build_model()
  if start is not None:
    model.set_weights(start.get_weights())
  model_lib.compile_model(model, model_lib.RecipeSchedule(
      recipe, training.steps_per_epoch(len(x), recipe.batch_size), recipe.epochs))
  started = time.perf_counter()
  if recipe.epochs:
    model.fit(normalize(x), y, batch_size=recipe.batch_size, epochs=recipe.epochs, verbose=0)
  seconds = time.perf_counter() - started
  accuracy = model.evaluate(normalize(validation[0]), validation[1], verbose=0)[1]
  return model, float(accuracy), seconds


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument('--seeds', type=int, nargs='+', default=[1])
  parser.add_argument('--data-root', default='data/mnist')
  args = parser.parse_args()
  keras_autograph.skip_keras()
  images, labels = idx.read_arrays(*idx.find_pair(args.data_root, 'train'))
  first = images[:SPAN], labels[:SPAN]
  second = images[SPAN:2 * SPAN], labels[SPAN:2 * SPAN]
  validation = images[VALIDATION], labels[VALIDATION]
  table = {}
  for seed in args.seeds:
    tf.keras.utils.set_random_seed(seed)
    served, accuracy, seconds = train(*first, validation, training.FAST)
    rows = [('served (span 1, fast, cold)', accuracy, seconds)]
    # Evaluated as the second span's Transform would normalize: 0 epochs from its weights.
    rows.append(('served, unchanged', train(*second, validation,
                                            dataclasses.replace(training.FAST, epochs=0),
                                            start=served)[1], 0.0))
    tf.keras.utils.set_random_seed(seed)
    rows.append(('span 2, fast, cold',) + train(*second, validation, training.FAST)[1:])
    for epochs, peak in CANDIDATES:
      recipe = dataclasses.replace(training.WARM, epochs=epochs, peak_learning_rate=peak)
      tf.keras.utils.set_random_seed(seed)
      rows.append((f'span 2, warm: {epochs} epoch(s), peak {peak:g}',)
                  + train(*second, validation, recipe, start=served)[1:])
    for name, accuracy, seconds in rows:
      print(json.dumps({'model': name, 'seed': seed, 'validation_accuracy': round(accuracy, 4),
                        'seconds': round(seconds, 1)}), flush=True)
      table.setdefault(name, []).append((accuracy, seconds))
  print('| model | validation accuracy per seed | median | training seconds (median) |\n'
        '| --- | --- | --- | --- |')
  for name, results in table.items():
    print(f'| {name} | {", ".join(f"{a:.4f}" for a, _ in results)} | '
          f'{statistics.median(a for a, _ in results):.4f} | '
          f'{statistics.median(s for _, s in results):.1f} |')
  return 0


if __name__ == '__main__':
  sys.exit(main())
