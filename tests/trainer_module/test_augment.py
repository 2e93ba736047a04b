"""The augmented recipe's moves: digits stay digits (ink kept, blank paper stays blank),
moved no further than asked, and different each time they are read."""

import numpy as np
import pytest

from mnist_tfx.trainer_module import training
from tests.support import idx_files

# pylint: disable=g-import-not-at-top  (TensorFlow loads inside the tests, not at collection.)


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
  moved = augment.augment(digits, still).numpy()
  assert moved.dtype == np.uint8 and moved.shape == digits.shape
  np.testing.assert_array_equal(moved, digits)


def test_shifts_move_the_ink_within_the_bound_and_keep_it(digits):
  from mnist_tfx.trainer_module import augment
  shift = training.Augmentation(shift=0.1, rotation_degrees=0.0, zoom=0.0)
  first, second = (augment.augment(digits, shift).numpy() for _ in range(2))
  assert not np.array_equal(first, second)  # Drawn anew each time the data is read.
  moved = np.abs(_centres(first) - _centres(digits))
  assert moved.max() <= 0.1 * 28 + 1.0  # A digit near the edge loses a little ink.
  assert moved.mean() > 0.5
  kept = first.reshape(len(digits), -1).sum(axis=1) / digits.reshape(len(digits), -1).sum(axis=1)
  assert np.median(kept) > 0.97


def test_the_recipes_moves_keep_blank_paper_blank_and_digits_inside(digits):
  from mnist_tfx.trainer_module import augment
  moved = augment.augment(digits, training.AUGMENTED.augmentation).numpy()
  assert not augment.augment(np.zeros((4, 784), np.uint8),
                             training.AUGMENTED.augmentation).numpy().any()
  ink = moved.reshape(-1, 28, 28).astype(float).sum(axis=(1, 2))
  assert np.all(ink / digits.reshape(-1, 28, 28).astype(float).sum(axis=(1, 2)) > 0.7)
