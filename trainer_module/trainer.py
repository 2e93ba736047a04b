"""run_fn: what the TFX Trainer calls. Reads, trains under a distribution strategy, exports."""

import os
import time

import tensorflow as tf
import tensorflow_transform as tft
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs

from mnist_tfx.lib import contracts
from mnist_tfx.lib import payloads
from mnist_tfx.trainer_module import batch_norms
from mnist_tfx.trainer_module import inputs
from mnist_tfx.trainer_module import keras_autograph
from mnist_tfx.trainer_module import model as model_lib
from mnist_tfx.trainer_module import signatures
from mnist_tfx.trainer_module import training
from mnist_tfx.trainer_module import warm_start


def run_fn(fn_args: FnArgs) -> None:
  """Trains the CNN on the transformed train split and exports the serving model.

  custom_config: lib/payloads.py's TrainerSettings. `recipe` (a name in training.RECIPES),
  `epochs` (0: the recipe's own), `cold_start` (1: never start from the served model's
  weights; else a base model, the one served when the data arrived, is started from when
  it has the same architecture, with training.WARM's schedule), `precision` (a Keras
  policy: float32, mixed_float16 on GPUs, mixed_bfloat16 on CPUs with AVX512_BF16 or
  AMX), `seed` (optional). The eval split is used for the per-epoch curves only: nothing
  here chooses by it (no early stopping, no best checkpoint), so the Evaluator's figure
  stays an honest estimate.
  """
  _require_keras_2()
  keras_autograph.skip_keras()
  settings = payloads.TrainerSettings.from_custom_config(fn_args.custom_config)
  recipe = training.RECIPES[settings.recipe or training.DEFAULT]
  seed = settings.seed
  if seed is not None:
    tf.keras.utils.set_random_seed(int(seed))
  precision = settings.precision or 'float32'
  # The policy is process-wide: the local runner's later components run in this process.
  tf.keras.mixed_precision.set_global_policy(precision)
  try:
    _train_and_export(fn_args, recipe, int(settings.epochs or 0), bool(settings.cold_start),
                      seed, precision)
  finally:
    tf.keras.mixed_precision.set_global_policy('float32')


def _train_and_export(fn_args: FnArgs, recipe: training.Recipe, epochs: int,
                      cold_start: bool, seed, precision: str) -> None:
  strategy = _strategy()
  if precision == 'mixed_float16' and not tf.config.list_logical_devices('GPU'):
    logging.warning('mixed_float16 without a GPU: float16 arithmetic is emulated on CPUs.')
  with strategy.scope():
    model = model_lib.build_model()
    why_cold = ('--cold-start' if cold_start
                else warm_start.take_served_weights(model, fn_args.base_model))
    if why_cold is None:
      recipe = training.WARM
    batch_size = recipe.batch_size * strategy.num_replicas_in_sync
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train, examples = inputs.make_training_dataset(
        fn_args.train_files, tf_transform_output, batch_size, seed=seed,
        augmentation=recipe.augmentation)
    epochs = epochs or recipe.epochs_for(examples)
    logging.info('%s. Recipe %s: %d epochs of batch %d over %d digits, precision %s.',
                 'Warm start from the served model' if why_cold is None
                 else f'From random weights: {why_cold}',
                 recipe.name, epochs, batch_size, examples, precision)
    evaluation = inputs.make_dataset(fn_args.eval_files, tf_transform_output, batch_size)
    schedule = model_lib.RecipeSchedule(
        recipe, training.steps_per_epoch(examples, batch_size), epochs)
    model_lib.compile_model(model, schedule, recipe.label_smoothing)
  clock = _EpochClock(schedule)
  history = model.fit(
      train,
      epochs=epochs,
      validation_data=evaluation,
      verbose=0,
      callbacks=[clock, tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)])
  if recipe.augmentation is not None:
    _reestimate_batch_norms(model, fn_args.train_files, tf_transform_output, batch_size,
                            seed, strategy)
  started = time.perf_counter()
  signatures.export_serving_model(model, tf_transform_output, fn_args.serving_model_dir)
  pixels, labels = inputs.first_examples(fn_args.eval_files, tf_transform_output,
                                         signatures.CHECKED_DIGITS)
  signatures.write_serving_checks(model, tf_transform_output, pixels, labels,
                                  fn_args.serving_model_dir)
  warm_start.write_architecture(model, fn_args.serving_model_dir)
  logging.info('Exported in %.1f s.', time.perf_counter() - started)
  write_history(payloads.TrainingHistory(history.history), fn_args.model_run_dir)
  write_start(payloads.TrainingStart(warm=why_cold is None, why_cold=why_cold or '',
                                     recipe=recipe.name, epochs=epochs), fn_args.model_run_dir)


def _reestimate_batch_norms(model, train_files, tf_transform_output, batch_size, seed,
                            strategy) -> None:
  """The batch norms' statistics measured again on the training digits unmoved, as the
  Evaluator and serving see digits (trainer_module/batch_norms.py)."""
  started = time.perf_counter()
  unmoved, _ = inputs.make_training_dataset(train_files, tf_transform_output, batch_size,
                                            seed=seed)
  batches = batch_norms.reestimate(model, unmoved.map(lambda image, label: image), strategy)
  logging.info('Batch norms measured again on %d batches of unmoved digits in %.1f s.',
               batches, time.perf_counter() - started)


class _EpochClock(tf.keras.callbacks.Callback):
  """Logs each epoch with its seconds, and adds the rate of its last step as `lr`."""

  def __init__(self, schedule: model_lib.RecipeSchedule):
    super().__init__()
    self.schedule = schedule
    self.started = time.perf_counter()

  def on_epoch_begin(self, epoch, logs=None):
    if epoch:
      self.started = time.perf_counter()

  def on_epoch_end(self, epoch, logs=None):
    # Before Keras's History callback, which runs last: the rate is in history.json.
    rate = self.schedule(self.model.optimizer.iterations - 1)
    logs[payloads.TrainingHistory.LEARNING_RATE] = float(rate)
    logging.info('Epoch %d (%.1f s): %s', epoch + 1, time.perf_counter() - self.started,
                 ', '.join(f'{name} {value:.4g}' for name, value in logs.items()))


def write_history(history: payloads.TrainingHistory, model_run_dir: str) -> None:
  """Per-epoch loss, accuracy (train and val_) and learning rate (lr), beside TensorBoard's
  logs in model_run: the run report draws its curves from them."""
  tf.io.gfile.makedirs(model_run_dir)
  with tf.io.gfile.GFile(os.path.join(model_run_dir, contracts.File.HISTORY), 'w') as f:
    f.write(history.to_json())


def write_start(start: payloads.TrainingStart, model_run_dir: str) -> None:
  """How training started (warm or cold, and why cold), with the recipe and epochs it ran:
  the summary, `history` and the run report say it."""
  tf.io.gfile.makedirs(model_run_dir)
  with tf.io.gfile.GFile(os.path.join(model_run_dir, contracts.File.START), 'w') as f:
    f.write(start.to_json())


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
