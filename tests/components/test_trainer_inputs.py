"""The Trainer's input pipeline (trainer_module/inputs.py) on the session's tiny examples and
Transform graph: every example once per epoch, transformed, and without tf.data's
autotuning thread, whose waits stalled training at epoch boundaries (BENCHMARKS.md)."""

from tests.support import artifacts

# pylint: disable=g-import-not-at-top  (TensorFlow loads inside the test, not at collection.)


def test_both_datasets_read_every_example_untuned(tiny_trained):
  import tensorflow_transform as tft
  from mnist_tfx.trainer_module import inputs
  graph = tft.TFTransformOutput(artifacts.artifact(tiny_trained['transform_graph']).uri)
  train, examples = inputs.make_training_dataset(
      [artifacts.split_uri(tiny_trained['examples'], 'train') + '/*'], graph, 128, seed=1)
  evaluation = inputs.make_dataset(
      [artifacts.split_uri(tiny_trained['examples'], 'eval') + '/*'], graph, 128)
  assert examples == artifacts.TRAIN_DIGITS
  for dataset, count in ((train, artifacts.TRAIN_DIGITS), (evaluation, artifacts.EVAL_DIGITS)):
    assert dataset.options().autotune.enabled is False
    for _ in range(2):  # Two epochs: a new iterator each, as Keras makes them.
      shapes = [tuple(image.shape) for image, _ in dataset]
      assert sum(shape[0] for shape in shapes) == count
      assert {shape[1:] for shape in shapes} == {(28, 28, 1)}


def test_the_augmented_recipe_moves_the_training_digits_and_keeps_their_labels(tiny_trained):
  """Augmented: every example still read once per epoch, through the same Transform graph
  (the background where a move uncovers paper is the graph's own blank), labels as they are."""
  import numpy as np
  import tensorflow_transform as tft
  from mnist_tfx.trainer_module import inputs
  from mnist_tfx.trainer_module import training
  graph = tft.TFTransformOutput(artifacts.artifact(tiny_trained['transform_graph']).uri)
  files = [artifacts.split_uri(tiny_trained['examples'], 'train') + '/*']
  plain, _ = inputs.make_training_dataset(files, graph, 128, seed=1)
  moved, examples = inputs.make_training_dataset(
      files, graph, 128, seed=1, augmentation=training.AUGMENTED.augmentation)
  assert examples == artifacts.TRAIN_DIGITS
  (plain_images, plain_labels), = plain.take(1)
  (moved_images, moved_labels), = moved.take(1)
  np.testing.assert_array_equal(plain_labels, moved_labels)  # Same seed: the same order.
  assert not np.allclose(plain_images, moved_images)
  blank = plain_images.numpy().min()  # A pixel of 0 through the graph.
  assert moved_images.numpy().min() == blank
  assert sum(int(labels.shape[0]) for _, labels in moved) == artifacts.TRAIN_DIGITS


def test_a_seed_fixes_the_augmented_batches_epoch_for_epoch(tiny_trained):
  """The moves are stateless draws from one seed per batch (trainer_module/augment.py):
  two datasets made with one seed give the same batches, epoch for epoch."""
  import numpy as np
  import tensorflow_transform as tft
  from mnist_tfx.trainer_module import inputs
  from mnist_tfx.trainer_module import training
  graph = tft.TFTransformOutput(artifacts.artifact(tiny_trained['transform_graph']).uri)
  files = [artifacts.split_uri(tiny_trained['examples'], 'train') + '/*']

  def two_epochs(seed):
    moved, _ = inputs.make_training_dataset(
        files, graph, 128, seed=seed, augmentation=training.AUGMENTED.augmentation)
    return [np.concatenate([images.numpy() for images, _ in moved]) for _ in range(2)]

  first, second = two_epochs(seed=1)
  again = two_epochs(seed=1)
  np.testing.assert_array_equal(first, again[0])
  np.testing.assert_array_equal(second, again[1])
  assert not np.array_equal(first, second)
