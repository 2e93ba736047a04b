"""Stalls at epoch boundaries: the Trainer's input pipeline and model.fit, timed between epochs.

Reads a finished run's examples and Transform graph (`--output-dir` of a `bin/run`),
builds the datasets as trainer_module/inputs.py does, and trains the default recipe
from random weights with the Trainer's callbacks (TensorBoard included). Prints one
JSON line: each epoch's seconds, the gap between one epoch's end and the next one's
start, and the time from the last epoch's end until fit returns. A gap is time in
which nothing trains.

--autotune puts tf.data's autotuning back on (inputs.py turns it off), to show the
stalls it caused; --no-tensorboard drops the TensorBoard callback.
Not a test: it never fails on a number.

Usage: .venv/bin/python -m bench.stalls --output-dir OUTPUTS [--epochs 4] [--autotune]
       [--no-tensorboard]
"""

import argparse
import glob
import json
import os
import sys
import tempfile
import time

os.environ['TF_USE_LEGACY_KERAS'] = '1'  # Keras 2, as every run of the project.

# pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf
import tensorflow_transform as tft

from bench import epoch_marks
from mnist_tfx.trainer_module import inputs
from mnist_tfx.trainer_module import keras_autograph
from mnist_tfx.trainer_module import model as model_lib
from mnist_tfx.trainer_module import training
# pylint: enable=g-import-not-at-top,wrong-import-position


def _newest(pattern: str) -> str:
  found = sorted(glob.glob(pattern), key=os.path.getmtime)
  if not found:
    raise SystemExit(f'error: nothing matches {pattern}: give the --output-dir of a finished run')
  return found[-1]


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
  parser.add_argument('--output-dir', required=True)
  parser.add_argument('--epochs', type=int, default=4)
  parser.add_argument('--autotune', action='store_true')
  parser.add_argument('--no-tensorboard', action='store_true')
  parser.add_argument('--seed', type=int, default=1)
  args = parser.parse_args(argv)
  pipeline = os.path.join(args.output_dir, 'pipeline')
  graph = tft.TFTransformOutput(_newest(os.path.join(pipeline, 'Transform', 'transform_graph', '*')))
  examples = _newest(os.path.join(pipeline, 'IdxExampleGen', 'examples', '*'))
  keras_autograph.skip_keras()
  tf.keras.utils.set_random_seed(args.seed)
  recipe = training.RECIPES[training.DEFAULT]
  train, count = inputs.make_training_dataset(
      [os.path.join(examples, 'Split-train', '*')], graph, recipe.batch_size, seed=args.seed)
  evaluation = inputs.make_dataset([os.path.join(examples, 'Split-eval', '*')], graph,
                                   recipe.batch_size)
  if args.autotune:
    options = tf.data.Options()
    options.autotune.enabled = True
    train, evaluation = train.with_options(options), evaluation.with_options(options)
  model = model_lib.build_model()
  schedule = model_lib.RecipeSchedule(
      recipe, training.steps_per_epoch(count, recipe.batch_size), args.epochs)
  model_lib.compile_model(model, schedule, recipe.label_smoothing)
  marks = epoch_marks.EpochMarks()
  callbacks = [marks]
  if not args.no_tensorboard:
    callbacks.append(tf.keras.callbacks.TensorBoard(log_dir=tempfile.mkdtemp()))
  model.fit(train, epochs=args.epochs, validation_data=evaluation, verbose=0,
            callbacks=callbacks)
  returned = time.perf_counter()
  print(json.dumps({
      'autotune': args.autotune, 'tensorboard': not args.no_tensorboard,
      'epoch_seconds': [round(seconds, 1) for seconds in marks.seconds()],
      'gaps': [round(b - e, 2) for e, b in zip(marks.ends, marks.begins[1:])],
      'after_the_last_epoch': round(returned - marks.ends[-1], 2)}))
  return 0


if __name__ == '__main__':
  sys.exit(main())
