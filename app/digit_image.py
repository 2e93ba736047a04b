"""A photo of one handwritten digit, prepared the way MNIST's digits were made.

MNIST's digits are white ink on black, fitted into a 20x20 box keeping their aspect
ratio (anti-aliased), and placed in a 28x28 field so that their centre of mass is
at its centre. A model trained on them is only as good on a photo as that photo
is close to them, so every step is repeated here: numpy and PIL only, no TensorFlow.
"""

import numpy as np
from PIL import Image
from PIL import ImageOps
from PIL import UnidentifiedImageError

from mnist_tfx.lib.errors import DataError

SIDE = 28  # The field.
BOX = 20  # The largest side of the digit inside it.
# Ink is what stands out from the background by more than this share of the
# darkest-to-lightest range; below it, paper grain and shadows count as background.
INK_SHARE = 0.2
# A range smaller than this (of 255) is a blank page, not a faint digit.
MIN_CONTRAST = 32


def read(path: str) -> np.ndarray:
  """The prepared 28x28 float32 pixels (0 background .. 255 ink) of an image file."""
  try:
    with Image.open(path) as image:
      gray = _grayscale(ImageOps.exif_transpose(image))  # Phone photos: as taken.
  except UnidentifiedImageError as e:  # Before OSError, of which it is one.
    raise DataError(path, 'not a PNG or JPEG image') from e
  except (OSError, Image.DecompressionBombError) as e:
    raise DataError(path, f'unreadable image ({e})') from e
  return prepare(gray, path)


def prepare(gray: np.ndarray, path: str = '<image>') -> np.ndarray:
  """MNIST's steps on a grayscale image (0 black .. 255 white) of any size."""
  ink = _ink(gray.astype(np.float32), path)
  rows, cols = np.nonzero(ink)
  ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
  box = _fit(ink)
  return _centre(box)


def _grayscale(image: Image.Image) -> np.ndarray:
  """Luminance; a transparent background counts as white paper."""
  if image.mode in ('RGBA', 'LA', 'PA') or 'transparency' in image.info:
    image = image.convert('RGBA')
    paper = Image.new('RGBA', image.size, 'white')
    image = Image.alpha_composite(paper, image)
  return np.asarray(image.convert('L'))


def _ink(gray: np.ndarray, path: str) -> np.ndarray:
  """Ink as 0..255 on 0: inverted when the background (the border's median) is light."""
  border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
  background = float(np.median(border))
  if background > 127:  # Dark ink on light paper: MNIST's ink is the light one.
    gray, background = 255.0 - gray, 255.0 - background
  ink = np.clip(gray - background, 0, None)
  contrast = float(ink.max())
  if contrast < MIN_CONTRAST:
    raise DataError(path, 'empty image: no ink stands out from the background')
  ink[ink < INK_SHARE * contrast] = 0
  return ink * (255.0 / contrast)


def _fit(ink: np.ndarray) -> np.ndarray:
  """Scaled so that the longer side is BOX pixels, anti-aliased, aspect ratio kept."""
  height, width = ink.shape
  scale = BOX / max(height, width)
  size = (max(1, round(width * scale)), max(1, round(height * scale)))
  image = Image.fromarray(ink.astype(np.float32), mode='F')
  return np.asarray(image.resize(size, Image.Resampling.LANCZOS)).clip(0, 255)


def _centre(box: np.ndarray) -> np.ndarray:
  """The box in a SIDE x SIDE field, its centre of mass on the field's centre."""
  height, width = box.shape
  total = box.sum()
  rows, cols = np.indices(box.shape)
  centre_row = (rows * box).sum() / total
  centre_col = (cols * box).sum() / total
  middle = SIDE / 2  # MNIST put the centre of mass at row 14, column 14 (0-based).
  top = int(np.clip(round(middle - centre_row), 0, SIDE - height))
  left = int(np.clip(round(middle - centre_col), 0, SIDE - width))
  field = np.zeros((SIDE, SIDE), np.float32)
  field[top:top + height, left:left + width] = box
  return field
