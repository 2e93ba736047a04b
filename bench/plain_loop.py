"""A recipe without TFX: the same CNN on numpy arrays in memory, model.fit.

The baseline the pipeline is compared with (the course's recipe), and the pipeline's
own recipe without the pipeline. After every epoch it prints one JSON line: the
epoch, its accuracy, and the Unix time (bench/run.py subtracts the time it started
this process) and seconds since this script started.

--validation N holds out the last N training digits and reports the accuracy on
them instead of on the test digits: recipes are chosen on that (bench/recipes.py).
An augmented recipe prints one more line after its last epoch: the accuracy once the
batch norms are measured again on the digits unmoved, as the Trainer serves them.
Usage: python bench/plain_loop.py [--recipe course|fast] [--epochs N] [--seed S]
       [--stop-at ACCURACY] [--train-limit N] [--validation N] [--data-root DIR]
"""

import time

STARTED = time.time()  # Before TensorFlow's import, which the wall time includes.

# pylint: disable=g-import-not-at-top,wrong-import-position
import argparse
import dataclasses
import json
import os

os.environ['TF_USE_LEGACY_KERAS'] = '1'

import numpy as np
import tensorflow as tf

from mnist_tfx.lib import idx
from mnist_tfx.trainer_module import augment
from mnist_tfx.trainer_module import batch_norms
from mnist_tfx.trainer_module import keras_autograph
from mnist_tfx.trainer_module import model as model_lib
from mnist_tfx.trainer_module import training
# pylint: enable=g-import-not-at-top,wrong-import-position


class EpochLog(tf.keras.callbacks.Callback):
  """Prints each epoch's accuracy; stops training once it reaches `stop_at`."""

  def __init__(self, stop_at: float, split: str):
    super().__init__()
    self.stop_at = stop_at
    self.split = split

  def on_epoch_end(self, epoch, logs=None):
    accuracy = float(logs['val_accuracy'])
    now = time.time()
    print(json.dumps({'epoch': epoch + 1, 'split': self.split, 'accuracy': round(accuracy, 4),
                      'time': now, 'seconds': round(now - STARTED, 1)}), flush=True)
    if accuracy >= self.stop_at:
      self.model.stop_training = True


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--recipe', choices=sorted(training.RECIPES), default=training.COURSE.name)
  parser.add_argument('--epochs', type=int, default=0, help="0: the recipe's own")
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--stop-at', type=float, default=1.1,
                      help='stop after the first epoch with this accuracy')
  parser.add_argument('--train-limit', type=int, default=0,
                      help='if > 0, train on the first N training digits only')
  parser.add_argument('--batch-size', type=int, default=0, help="0: the recipe's own")
  parser.add_argument('--peak-learning-rate', type=float, default=0.0, help="0: the recipe's own")
  parser.add_argument('--precision', default='float32',
                      help='a Keras policy: float32, mixed_bfloat16, mixed_float16')
  parser.add_argument('--validation', type=int, default=0,
                      help='if > 0, hold out the last N training digits and report on them')
  parser.add_argument('--data-root', default='data/mnist')
  parser.add_argument('--shift', type=float, help="the augmentation's, if the recipe has one")
  parser.add_argument('--rotation-degrees', type=float,
                      help="the augmentation's, if the recipe has one")
  parser.add_argument('--zoom', type=float, help="the augmentation's, if the recipe has one")
  parser.add_argument('--label-smoothing', type=float,
                      help="left out: the recipe's own (augmented 0.1, the others 0)")
  args = parser.parse_args()
  keras_autograph.skip_keras()  # As the Trainer does: the same model, the same start.
  named = training.RECIPES[args.recipe]
  recipe = dataclasses.replace(
      named,
      batch_size=args.batch_size or named.batch_size,
      peak_learning_rate=args.peak_learning_rate or named.peak_learning_rate,
      label_smoothing=(named.label_smoothing if args.label_smoothing is None
                       else args.label_smoothing))
  if recipe.augmentation is not None:
    recipe = dataclasses.replace(recipe, augmentation=dataclasses.replace(
        recipe.augmentation,
        **{name: getattr(args, name) for name in ('shift', 'rotation_degrees', 'zoom')
           if getattr(args, name) is not None}))
  epochs = args.epochs or recipe.epochs
  tf.keras.utils.set_random_seed(args.seed)
  tf.keras.mixed_precision.set_global_policy(args.precision)
  x_train, y_train = idx.read_arrays(*idx.find_pair(args.data_root, 'train'), args.train_limit)
  if args.validation:
    x_test, y_test = x_train[-args.validation:], y_train[-args.validation:]
    x_train, y_train = x_train[:-args.validation], y_train[:-args.validation]
  else:
    x_test, y_test = idx.read_arrays(*idx.find_pair(args.data_root, 't10k'))
  mean, std = x_train.mean(), x_train.std()

  def normalize(x):
    return ((x.astype(np.float32) - mean) / std).reshape(-1, 28, 28, 1)

  model = model_lib.build_model()
  schedule = model_lib.RecipeSchedule(
      recipe, training.steps_per_epoch(len(x_train), recipe.batch_size), epochs)
  model_lib.compile_model(model, schedule, recipe.label_smoothing)
  callbacks = [EpochLog(args.stop_at, 'validation' if args.validation else 'test')]
  if recipe.augmentation is None:
    model.fit(normalize(x_train), y_train, batch_size=recipe.batch_size, epochs=epochs,
              validation_data=(normalize(x_test), y_test), verbose=0, callbacks=callbacks)
  else:
    history = model.fit(_augmented(x_train, y_train, recipe, mean, std, args.seed),
                        epochs=epochs, validation_data=(normalize(x_test), y_test), verbose=0,
                        callbacks=callbacks)
    # As the Trainer does: the batch norms measured again on the digits unmoved. One more
    # line, for the last epoch, with its accuracy after that.
    unmoved = tf.data.Dataset.from_tensor_slices(normalize(x_train)).shuffle(
        len(x_train), seed=args.seed).batch(recipe.batch_size)
    batch_norms.reestimate(model, unmoved, tf.distribute.get_strategy())
    accuracy = model.evaluate(normalize(x_test), y_test, batch_size=1000, verbose=0)[1]
    now = time.time()
    print(json.dumps({'epoch': len(history.epoch), 'split': callbacks[0].split,
                      'accuracy': round(accuracy, 4), 'batch_norms': 'measured again',
                      'time': now, 'seconds': round(now - STARTED, 1)}), flush=True)


def _augmented(x_train, y_train, recipe, mean, std, seed) -> tf.data.Dataset:
  """Shuffled batches whose raw pixels are moved at random, then normalized: as the
  Trainer's input pipeline reads them (trainer_module/inputs.py)."""

  def move_and_normalize(batch, batch_seed):
    pixels, labels = batch
    moved = tf.cast(augment.augment(pixels, recipe.augmentation, batch_seed), tf.float32)
    return (tf.reshape(moved, [-1, 28, 28, 1]) - mean) / std, labels

  batches = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
             .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
             .batch(recipe.batch_size))
  return (tf.data.Dataset.zip((batches, augment.batch_seeds(seed)))
          .map(move_and_normalize, num_parallel_calls=tf.data.AUTOTUNE))


if __name__ == '__main__':
  main()
