"""The course's recipe without TFX: the same CNN on numpy arrays in memory, model.fit.

Prints test accuracy and wall time after every epoch; the baseline the pipeline is
compared with. Usage: python bench/plain_loop.py [--epochs N] [--seed S] [--data-root DIR]
"""

import argparse
import json
import os
import time

os.environ['TF_USE_LEGACY_KERAS'] = '1'

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf

from components.idx_example_gen import idx
from trainer_module import model as model_lib
from trainer_module import training


def load(data_root):
  """The train-* and t10k-* pairs of a plain folder of IDX files, in memory."""
  return {split: idx.read_arrays(*idx.find_pair(data_root, prefix))
          for split, prefix in (('train', 'train'), ('eval', 't10k'))}


class EpochLog(tf.keras.callbacks.Callback):

  def __init__(self, start):
    super().__init__()
    self.start = start
    self.rows = []

  def on_epoch_end(self, epoch, logs=None):
    row = {'epoch': epoch + 1, 'seconds': round(time.time() - self.start, 1),
           'test_accuracy': round(float(logs['val_accuracy']), 4)}
    self.rows.append(row)
    print(json.dumps(row), flush=True)


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--epochs', type=int, default=10)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--data-root', default='data/mnist')
  args = parser.parse_args()
  tf.keras.utils.set_random_seed(args.seed)
  start = time.time()
  data = load(args.data_root)
  x_train, y_train = data['train']
  x_test, y_test = data['eval']
  mean, std = x_train.mean(), x_train.std()
  def norm(x):
    return ((x.astype(np.float32) - mean) / std).reshape(-1, 28, 28, 1)
  model = model_lib.build_model()
  model_lib.compile_model(model, training.INITIAL_LEARNING_RATE)
  log = EpochLog(start)
  model.fit(norm(x_train), y_train, batch_size=training.BATCH_SIZE, epochs=args.epochs,
            validation_data=(norm(x_test), y_test), verbose=0,
            callbacks=[tf.keras.callbacks.LearningRateScheduler(training.learning_rate), log])


if __name__ == '__main__':
  main()
