"""The pushed SavedModel called in process: both signatures, and the bare model as the floor.

The floor is the same CNN rebuilt in Keras, the pushed weights loaded into it, called
in a tf.function on images already normalized: what a serving signature adds (parsing,
the Transform graph, the argmax) shows as the difference. (The SavedModel's own saved
Keras call was measured too: 8 times slower than either at batch 1, so no floor.)
"""

import statistics
import time
from typing import Callable, Dict

import numpy as np

WARM_UP_CALLS = 50


def measure(model_dir: str, pixels: np.ndarray, latency_calls: int,
            batch_calls: int, repeats: int) -> Dict[str, Dict[str, float]]:
  """Per way of calling: batch-1 latency (median, p99, ms) and batch-256 images per second."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from mnist_tfx.components.idx_example_gen import records  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  from mnist_tfx.lib.contracts import Signature  # pylint: disable=g-import-not-at-top

  model = tf.saved_model.load(model_dir)
  keras_model = model_lib.build_model()
  for variable, saved in zip(keras_model.variables, model.model_variables, strict=True):
    variable.assign(saved)  # The export keeps the model's variables in Keras's order.
  bare = tf.function(lambda image: keras_model(image, training=False))
  by_pixels = model.signatures[Signature.SERVING_PIXELS]
  by_examples = model.signatures[Signature.SERVING_DEFAULT]

  def inputs(batch: int):
    chosen = pixels[:batch]
    serialized = records.to_examples(chosen, np.zeros(len(chosen), np.int64))
    as_floats, as_examples = tf.constant(chosen, tf.float32), tf.constant(serialized)
    # The saved Transform layer keeps the signature it was traced with in training.
    image = model.tft_layer({'pixels': tf.constant(chosen, tf.int64),
                             'label': tf.zeros([len(chosen), 1], tf.int64)})['image']
    return {
        'serving_pixels': lambda: by_pixels(pixels=as_floats),
        'serving_default': lambda: by_examples(examples=as_examples),
        'bare_model': lambda: bare(image),
    }

  single, batched = inputs(1), inputs(256)
  results = {}
  for name in single:
    latencies = _latencies_ms(single[name], latency_calls)
    rates = [_images_per_second(batched[name], batch_calls, 256) for _ in range(repeats)]
    results[name] = {'batch1_median_ms': statistics.median(latencies),
                     'batch1_p99_ms': float(np.percentile(latencies, 99)),
                     'batch256_images_per_second': statistics.median(rates)}
  return results


def _latencies_ms(call: Callable[[], object], calls: int):
  for _ in range(WARM_UP_CALLS):
    call()
  latencies = []
  for _ in range(calls):
    start = time.perf_counter()
    call()
    latencies.append((time.perf_counter() - start) * 1000)
  return latencies


def _images_per_second(call: Callable[[], object], calls: int, batch: int) -> float:
  for _ in range(WARM_UP_CALLS // 10):
    call()
  start = time.perf_counter()
  for _ in range(calls):
    call()
  return calls * batch / (time.perf_counter() - start)
