"""The photo-like sets of tests/support/photos.py: what thresholds are chosen on (TUNE)
is never what predict is checked on (TEST)."""

import os

import numpy as np

from tests.support import photos


def test_tune_and_test_share_no_font_and_no_handwritten_digit():
  tune, test = photos.fonts(photos.TUNE), photos.fonts(photos.TEST)
  assert tune and test
  assert not set(map(os.path.basename, tune)) & set(map(os.path.basename, test))
  assert sorted(tune + test) == sorted(photos.font_files())
  assert not (set(photos.handwritten_indices(photos.TUNE)) &
              set(photos.handwritten_indices(photos.TEST)))
  assert photos.SEEDS[photos.TUNE] != photos.SEEDS[photos.TEST]


def test_a_photo_is_the_digit_on_tinted_paper_under_uneven_light():
  ink = photos.printed(photos.fonts(photos.TEST)[0], 7)
  clean = photos.clean(ink)
  assert clean.dtype == np.uint8 and clean.shape == (160, 160, 3)
  assert clean[0, 0].tolist() == [255, 255, 255] and clean.min() == 0
  photo = photos.photographed(ink, np.random.default_rng(0))
  assert photo.dtype == np.uint8 and photo.ndim == 3
  gray = photo.mean(axis=2)
  corners = [gray[:8, :8].mean(), gray[:8, -8:].mean(), gray[-8:, :8].mean(),
             gray[-8:, -8:].mean()]
  assert max(corners) - min(corners) > 10  # Light falls unevenly.
  assert gray.min() < min(corners) - 60  # The ink stands out from the paper.
