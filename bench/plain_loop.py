"""The course's recipe without TFX: the same CNN on numpy arrays in memory, model.fit.

The baseline the pipeline is compared with. After every epoch it prints one JSON
line: the epoch, its test accuracy, and the Unix time (bench/run.py subtracts the
time it started this process) and seconds since this script started.
Usage: python bench/plain_loop.py [--epochs N] [--seed S] [--stop-at ACCURACY]
       [--train-limit N] [--data-root DIR]
"""

import time

STARTED = time.time()  # Before TensorFlow's import, which the wall time includes.

# pylint: disable=g-import-not-at-top,wrong-import-position
import argparse
import json
import os

os.environ['TF_USE_LEGACY_KERAS'] = '1'

import numpy as np
import tensorflow as tf

from mnist_tfx.lib import idx
from mnist_tfx.trainer_module import model as model_lib
from mnist_tfx.trainer_module import training
# pylint: enable=g-import-not-at-top,wrong-import-position


class EpochLog(tf.keras.callbacks.Callback):
  """Prints each epoch's test accuracy; stops training once it reaches `stop_at`."""

  def __init__(self, stop_at: float):
    super().__init__()
    self.stop_at = stop_at

  def on_epoch_end(self, epoch, logs=None):
    accuracy = float(logs['val_accuracy'])
    now = time.time()
    print(json.dumps({'epoch': epoch + 1, 'test_accuracy': round(accuracy, 4),
                      'time': now, 'seconds': round(now - STARTED, 1)}), flush=True)
    if accuracy >= self.stop_at:
      self.model.stop_training = True


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--epochs', type=int, default=10)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--stop-at', type=float, default=1.1,
                      help='stop after the first epoch with this test accuracy')
  parser.add_argument('--train-limit', type=int, default=0,
                      help='if > 0, train on the first N training digits only')
  parser.add_argument('--data-root', default='data/mnist')
  args = parser.parse_args()
  tf.keras.utils.set_random_seed(args.seed)
  x_train, y_train = idx.read_arrays(*idx.find_pair(args.data_root, 'train'), args.train_limit)
  x_test, y_test = idx.read_arrays(*idx.find_pair(args.data_root, 't10k'))
  mean, std = x_train.mean(), x_train.std()

  def normalize(x):
    return ((x.astype(np.float32) - mean) / std).reshape(-1, 28, 28, 1)

  model = model_lib.build_model()
  model_lib.compile_model(model, training.INITIAL_LEARNING_RATE)
  model.fit(normalize(x_train), y_train, batch_size=training.BATCH_SIZE, epochs=args.epochs,
            validation_data=(normalize(x_test), y_test), verbose=0,
            callbacks=[tf.keras.callbacks.LearningRateScheduler(training.learning_rate),
                       EpochLog(args.stop_at)])


if __name__ == '__main__':
  main()
