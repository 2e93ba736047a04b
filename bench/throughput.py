"""Throughput measured in this process, side by side: training input, and ingestion.

Training: the same model, batch size and optimizer, fed once by the Trainer's own
input pipeline (trainer_module/inputs.py on IdxExampleGen's TFRecords), once by
numpy arrays as in the plain loop; the calls alternate, so both see the same machine.
"""

import glob
import os
import statistics
import time
from typing import Dict, List

import numpy as np

WARM_UP_STEPS = 10  # Not timed: tracing, oneDNN set-up, filling the shuffle buffer.


class _StepClock:
  """A Keras callback factory: the seconds from step WARM_UP_STEPS to the last step."""

  def __init__(self):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    clock = self

    class Callback(tf.keras.callbacks.Callback):

      def on_train_batch_end(self, batch, logs=None):
        if batch + 1 == WARM_UP_STEPS:
          clock.start = time.perf_counter()
        clock.end = time.perf_counter()

    self.callback = Callback()
    self.start = self.end = 0.0


def training(pipeline_root: str, images: np.ndarray, labels: np.ndarray, steps: int,
             repeats: int) -> Dict[str, object]:
  """Images per second of the Trainer's input vs numpy arrays, and the median ratio of pairs."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_transform as tft  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import inputs  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import training as recipe  # pylint: disable=g-import-not-at-top

  transform_graph = _newest(os.path.join(pipeline_root, 'Transform', 'transform_graph', '*'))
  examples = _newest(os.path.join(pipeline_root, 'IdxExampleGen', 'examples', '*'))
  batch = recipe.FAST.batch_size
  records, _ = inputs.make_training_dataset([os.path.join(examples, 'Split-train', '*')],
                                            tft.TFTransformOutput(transform_graph), batch,
                                            seed=0)
  for _ in records:  # One pass fills its cache: later passes are the Trainer's epochs 2, 3, ...
    pass
  records = records.repeat()
  count = steps * batch
  arrays = ((images[:count].astype(np.float32) - images.mean()) / images.std()).reshape(
      -1, 28, 28, 1), labels[:count]

  tf.keras.utils.set_random_seed(0)
  models = {'trainer_input': model_lib.build_model(), 'numpy': model_lib.build_model()}
  for model in models.values():
    model_lib.compile_model(model, recipe.FAST.peak_learning_rate)
  rates: Dict[str, List[float]] = {name: [] for name in models}
  for _ in range(repeats):
    for name, model in models.items():
      clock = _StepClock()
      if name == 'trainer_input':
        model.fit(records, steps_per_epoch=steps, epochs=1, verbose=0,
                  callbacks=[clock.callback])
      else:
        model.fit(*arrays, batch_size=batch, epochs=1, shuffle=True, verbose=0,
                  callbacks=[clock.callback])
      rates[name].append((steps - WARM_UP_STEPS) * batch / (clock.end - clock.start))
  ratios = [t / n for t, n in zip(rates['trainer_input'], rates['numpy'])]
  return {'batch_size': batch, 'timed_steps': steps - WARM_UP_STEPS, 'repeats': repeats,
          'trainer_images_per_second': statistics.median(rates['trainer_input']),
          'numpy_images_per_second': statistics.median(rates['numpy']),
          'ratio': statistics.median(ratios)}


def ingestion(data_root: str, repeats: int) -> Dict[str, object]:
  """Examples per second from the IDX files of `data_root` to gzipped TFRecords."""
  import tempfile  # pylint: disable=g-import-not-at-top
  from mnist_tfx.lib import idx  # pylint: disable=g-import-not-at-top
  from mnist_tfx.components.idx_example_gen import records  # pylint: disable=g-import-not-at-top

  seconds, count = [], 0
  with tempfile.TemporaryDirectory() as folder:
    for _ in range(repeats):
      start = time.perf_counter()
      count = sum(
          records.write_tfrecords(idx.read_pairs(*idx.find_pair(data_root, prefix)),
                                  os.path.join(folder, prefix, 'data.gz'))
          for prefix in ('train', 't10k'))
      seconds.append(time.perf_counter() - start)
  median = statistics.median(seconds)
  return {'examples': count, 'repeats': repeats, 'seconds': median,
          'examples_per_second': count / median}


def _newest(pattern: str) -> str:
  return max(glob.glob(pattern), key=os.path.getmtime)
