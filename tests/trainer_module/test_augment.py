"""The augmented recipe's moves: digits stay digits (ink kept, blank paper stays blank),
moved no further than asked, and fixed by their seed: the same seed, the same moves."""

import numpy as np
import pytest

from mnist_tfx.trainer_module import training
from tests.support import idx_files

# pylint: disable=g-import-not-at-top  (TensorFlow loads inside the tests, not at collection.)

SEED, OTHER_SEED = np.array([1, 2], np.int64), np.array([1, 3], np.int64)


@pytest.fixture(scope='module')
def digits():
  images, _ = idx_files.read_split('eval', 64)
  return images


def _centres(pixels: np.ndarray) -> np.ndarray:
  """Each digit's centre of ink, (row, column)."""
  images = pixels.reshape(-1, 28, 28).astype(np.float64)
  rows, columns = np.mgrid[0:28, 0:28]
  mass = images.sum(axis=(1, 2))
  return np.stack([(images * rows).sum(axis=(1, 2)) / mass,
                   (images * columns).sum(axis=(1, 2)) / mass], axis=1)


def test_no_move_is_the_digit_itself(digits):
  from mnist_tfx.trainer_module import augment
  still = training.Augmentation(shift=0.0, rotation_degrees=0.0, zoom=0.0)
  moved = augment.augment(digits, still, SEED).numpy()
  assert moved.dtype == np.uint8 and moved.shape == digits.shape
  np.testing.assert_array_equal(moved, digits)


def test_shifts_move_the_ink_within_the_bound_and_keep_it(digits):
  from mnist_tfx.trainer_module import augment
  shift = training.Augmentation(shift=0.1, rotation_degrees=0.0, zoom=0.0)
  first, again, other = (augment.augment(digits, shift, seed).numpy()
                         for seed in (SEED, SEED, OTHER_SEED))
  np.testing.assert_array_equal(first, again)
  assert not np.array_equal(first, other)
  moved = np.abs(_centres(first) - _centres(digits))
  assert moved.max() <= 0.1 * 28 + 1.0  # A digit near the edge loses a little ink.
  assert moved.mean() > 0.5
  kept = first.reshape(len(digits), -1).sum(axis=1) / digits.reshape(len(digits), -1).sum(axis=1)
  assert np.median(kept) > 0.97


def test_the_recipes_moves_keep_blank_paper_blank_and_digits_inside(digits):
  from mnist_tfx.trainer_module import augment
  moved = augment.augment(digits, training.AUGMENTED.augmentation, SEED).numpy()
  assert not augment.augment(np.zeros((4, 784), np.uint8),
                             training.AUGMENTED.augmentation, SEED).numpy().any()
  ink = moved.reshape(-1, 28, 28).astype(float).sum(axis=(1, 2))
  assert np.all(ink / digits.reshape(-1, 28, 28).astype(float).sum(axis=(1, 2)) > 0.7)


def test_batch_seeds_repeat_for_a_seed_and_change_each_epoch():
  from mnist_tfx.trainer_module import augment
  seeds, again = augment.batch_seeds(7), augment.batch_seeds(7)
  first, second = ([pair.numpy().tolist() for pair in seeds.take(3)] for _ in range(2))
  assert first == [pair.numpy().tolist() for pair in again.take(3)]
  assert first != second  # A new iterator, as Keras makes one each epoch: new moves.
  assert all(len(pair) == 2 for pair in first)
