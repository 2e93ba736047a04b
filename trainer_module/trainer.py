"""run_fn: what the TFX Trainer calls. Reads, trains under a distribution strategy, exports."""

import json
import os

import tensorflow as tf
import tensorflow_transform as tft
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs

from mnist_tfx.lib import contracts
from mnist_tfx.trainer_module import inputs
from mnist_tfx.trainer_module import model as model_lib
from mnist_tfx.trainer_module import signatures
from mnist_tfx.trainer_module import training


def run_fn(fn_args: FnArgs) -> None:
  """Trains the CNN on the transformed train split and exports the serving model.

  custom_config: `epochs` (int), `seed` (int, optional). The eval split is used
  for the per-epoch curves only: nothing here chooses by it (no early stopping,
  no best checkpoint), so the Evaluator's figure stays an honest estimate.
  """
  _require_keras_2()
  config = fn_args.custom_config or {}
  epochs = int(config['epochs'])
  seed = config.get('seed')
  if seed is not None:
    tf.keras.utils.set_random_seed(int(seed))

  strategy = _strategy()
  batch_size = training.BATCH_SIZE * strategy.num_replicas_in_sync
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
  train = inputs.make_dataset(fn_args.train_files, tf_transform_output, batch_size,
                              shuffle=True, seed=seed)
  evaluation = inputs.make_dataset(fn_args.eval_files, tf_transform_output, batch_size,
                                   shuffle=False)
  with strategy.scope():
    model = model_lib.build_model()
    model_lib.compile_model(model, training.learning_rate(0))
  history = model.fit(
      train,
      epochs=epochs,
      validation_data=evaluation,
      verbose=0,
      callbacks=[
          tf.keras.callbacks.LearningRateScheduler(training.learning_rate),
          tf.keras.callbacks.LambdaCallback(on_epoch_end=_log_epoch),
          tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir),
      ])
  write_history(history.history, fn_args.model_run_dir)
  signatures.export_serving_model(model, tf_transform_output, fn_args.serving_model_dir)


def write_history(history: dict, model_run_dir: str) -> None:
  """Per-epoch loss, accuracy (train and val_) and learning rate (lr), beside TensorBoard's
  logs in model_run: the run report draws its curves from them."""
  tf.io.gfile.makedirs(model_run_dir)
  with tf.io.gfile.GFile(os.path.join(model_run_dir, contracts.File.HISTORY), 'w') as f:
    json.dump({name: [float(v) for v in values] for name, values in history.items()}, f)


def _log_epoch(epoch: int, logs: dict) -> None:
  logging.info('Epoch %d: %s', epoch + 1,
               ', '.join(f'{name} {value:.4g}' for name, value in logs.items()))


def _strategy() -> tf.distribute.Strategy:
  """All local GPUs when there are any (GKE GPU nodes), else the default strategy."""
  gpus = tf.config.list_logical_devices('GPU')
  logging.info('Training on %d GPU(s).', len(gpus))
  if gpus:
    return tf.distribute.MirroredStrategy()
  return tf.distribute.get_strategy()


def _require_keras_2():
  if not tf.keras.__name__.startswith('tf_keras'):
    raise RuntimeError(
        f'tf.keras is {tf.keras.__name__} (Keras 3); this project uses Keras 2 '
        '(tf_keras): set TF_USE_LEGACY_KERAS=1 before TensorFlow is imported.')
