"""A Keras callback that notes when each epoch starts and ends, for the benchmarks."""

import time
from typing import List

import tensorflow as tf


class EpochMarks(tf.keras.callbacks.Callback):
  """time.perf_counter() at each epoch's start and end (its validation included)."""

  def __init__(self):
    super().__init__()
    self.begins: List[float] = []
    self.ends: List[float] = []

  def on_epoch_begin(self, epoch, logs=None):
    self.begins.append(time.perf_counter())

  def on_epoch_end(self, epoch, logs=None):
    self.ends.append(time.perf_counter())

  def seconds(self) -> List[float]:
    """Each epoch's seconds."""
    return [end - begin for begin, end in zip(self.begins, self.ends)]
