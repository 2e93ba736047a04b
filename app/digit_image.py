"""A photo of one handwritten digit, prepared the way MNIST's digits were made.

MNIST's digits are white ink on black, fitted into a 20x20 box keeping their aspect
ratio (anti-aliased), and placed in a 28x28 field so that their centre of mass is
at its centre. A model trained on them is only as good on a photo as that photo
is close to them, so every step is repeated here, after finding the digit in the
photo: the paper's own brightness measured in each part of the frame (light falls
unevenly), the ink that stands out from it, and of that ink the digit's own strokes,
not dust beside it. numpy, SciPy's ndimage (installed with TFX) and PIL; no TensorFlow.
"""

import dataclasses

import numpy as np
from PIL import Image
from PIL import ImageOps
from PIL import UnidentifiedImageError
from scipy import ndimage

from mnist_tfx.lib.errors import DataError

SIDE = 28  # The field.
BOX = 20  # The largest side of the digit inside it.
# Smaller images cannot hold a digit that can be told apart (MNIST's fill 20 pixels).
MIN_SIDE = 16
# Larger photos are shrunk to this longest side first: a digit that fills a fair part of
# the frame keeps far more pixels than the 20 it ends with, and the steps stay quick.
WORK_SIDE = 400
# The paper's brightness is measured in blocks of this share of the shorter side, each
# block's value the BACKGROUND_PERCENTILE of its pixels once ink is the light side: ink
# would have to cover three quarters of a block to pass for paper.
BLOCK_SHARE = 1 / 8
BACKGROUND_PERCENTILE = 25
# Ink is what stands out from the paper by more than this share of the strongest ink
# (after a light blur that evens out grain), and by more than NOISE_SIGMAS times the
# paper's own noise: below either, it is grain, shadow or the ink's soft edge.
INK_SHARE = 0.25
NOISE_SIGMAS = 4
# A strongest ink weaker than this (of 255) is a blank page, not a faint digit.
MIN_CONTRAST = 32
# A mark whose longer side is below this share of the image's shorter side, or below
# MIN_DIGIT_PIXELS, is a speck, not a digit (alone in an image: nothing to read).
MIN_DIGIT_SHARE = 0.08
MIN_DIGIT_PIXELS = 6
# A separate mark is part of the digit (the bar of a 5, a broken stroke) when it holds
# at least PART_SHARE of the ink of the largest mark and lies within PART_REACH of the
# digit's longer side from it. Dust is smaller, or further away.
PART_SHARE = 0.04
PART_REACH = 0.25
# A mark left out that is at least OTHER_DIGIT_HEIGHT of the digit's height and holds
# OTHER_DIGIT_INK of its ink is another digit (or a scribble): the image is said to
# hold more than one. A narrow 1 beside an 8 holds about a third of the 8's ink.
OTHER_DIGIT_HEIGHT = 0.4
OTHER_DIGIT_INK = 0.1


@dataclasses.dataclass(frozen=True)
class Digit:
  """The prepared pixels and what else was seen: `digits` above 1 means the image seems
  to hold more than one digit, and the largest was prepared."""
  pixels: np.ndarray  # SIDE x SIDE float32, 0 background .. 255 ink.
  digits: int


def read(path: str) -> np.ndarray:
  """The prepared 28x28 float32 pixels (0 background .. 255 ink) of an image file."""
  return read_digit(path).pixels


def read_digit(path: str) -> Digit:
  """The digit in an image file; DataError naming the file if there is none to read."""
  try:
    with Image.open(path) as image:
      gray = _grayscale(ImageOps.exif_transpose(image))  # Phone photos: as taken.
  except UnidentifiedImageError as e:  # Before OSError, of which it is one.
    raise DataError(path, 'not a PNG or JPEG image') from e
  except (OSError, Image.DecompressionBombError) as e:
    raise DataError(path, f'unreadable image ({e})') from e
  return prepare_digit(gray, path)


def prepare(gray: np.ndarray, path: str = '<image>') -> np.ndarray:
  """MNIST's steps on a grayscale image (0 black .. 255 white) of any size."""
  return prepare_digit(gray, path).pixels


def prepare_digit(gray: np.ndarray, path: str = '<image>') -> Digit:
  """Finds the digit in a grayscale image (0 black .. 255 white), then MNIST's steps."""
  height, width = gray.shape
  if min(height, width) < MIN_SIDE:
    raise DataError(path, f'too small to hold a digit: {width}x{height} pixels '
                          f'(at least {MIN_SIDE}x{MIN_SIDE})')
  ink, where = _ink(_shrunk(gray.astype(np.float32)), path)
  ink, digits = _digit(ink, where, path)
  rows, cols = np.nonzero(ink)
  ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
  return Digit(_centre(_fit(ink)), digits)


def tilted(pixels: np.ndarray, degrees: float) -> np.ndarray:
  """The prepared digit turned about the field's centre (its centre of mass),
  counter-clockwise, bilinear."""
  image = Image.fromarray(pixels.astype(np.float32), mode='F')
  return np.asarray(image.rotate(degrees, Image.Resampling.BILINEAR)).clip(0, 255)


def _grayscale(image: Image.Image) -> np.ndarray:
  """Luminance; a transparent background counts as white paper."""
  if image.mode in ('RGBA', 'LA', 'PA') or 'transparency' in image.info:
    image = image.convert('RGBA')
    paper = Image.new('RGBA', image.size, 'white')
    image = Image.alpha_composite(paper, image)
  return np.asarray(image.convert('L'))


def _shrunk(gray: np.ndarray) -> np.ndarray:
  """At most WORK_SIDE on its longer side, averaged down (no aliasing)."""
  height, width = gray.shape
  scale = WORK_SIDE / max(height, width)
  if scale >= 1:
    return gray
  size = (max(1, round(width * scale)), max(1, round(height * scale)))
  return np.asarray(Image.fromarray(gray, 'F').resize(size, Image.Resampling.BOX))


def _ink(gray: np.ndarray, path: str):
  """(ink as 0..255 on 0, where it is: what stands out from the paper around it, light
  or dark)."""
  if _dark_ink(gray):  # MNIST's ink is the light one.
    gray = 255.0 - gray
  ink = np.clip(gray - _background(gray, BACKGROUND_PERCENTILE), 0, None)
  grain = ink - ndimage.median_filter(ink, size=3)
  # The grain's standard deviation, from its median absolute deviation (x 1.4826 for
  # normal noise): strokes, a minority of pixels, do not move it.
  noise = 1.4826 * float(np.median(np.abs(grain - np.median(grain))))
  smooth = ndimage.gaussian_filter(ink, sigma=_blur(gray))
  contrast = float(smooth.max())
  if contrast < MIN_CONTRAST:
    raise DataError(path, 'empty image: no ink stands out from the background')
  where = smooth >= max(INK_SHARE * contrast, NOISE_SIGMAS * noise)
  return np.clip(ink * (255.0 / contrast), 0, 255), where


def _dark_ink(gray: np.ndarray) -> bool:
  """Whether the ink is darker than the paper: of what stands out from the local median
  by more than the paper's own spread, the larger part lies on the dark side."""
  residual = gray - _background(gray, 50)
  spread = 1.4826 * float(np.median(np.abs(residual))) + 1
  darker = np.clip(-residual - 3 * spread, 0, None).sum()
  lighter = np.clip(residual - 3 * spread, 0, None).sum()
  return darker > lighter


def _background(gray: np.ndarray, percentile: float) -> np.ndarray:
  """The paper's brightness at each pixel: the percentile of each block, the median of
  each block's neighbourhood (a block of ink among paper), spread smoothly back."""
  height, width = gray.shape
  block = max(2, round(min(height, width) * BLOCK_SHARE))
  rows, cols = -(-height // block), -(-width // block)
  padded = np.pad(gray, ((0, rows * block - height), (0, cols * block - width)), mode='edge')
  blocks = padded.reshape(rows, block, cols, block).transpose(0, 2, 1, 3).reshape(
      rows, cols, block * block)
  grid = ndimage.median_filter(np.percentile(blocks, percentile, axis=2), size=3,
                               mode='nearest')
  # Block centres to pixels: bilinear, held flat beyond the outer centres.
  row_at = np.clip((np.arange(height) + 0.5) / block - 0.5, 0, rows - 1)
  col_at = np.clip((np.arange(width) + 0.5) / block - 0.5, 0, cols - 1)
  return ndimage.map_coordinates(grid.astype(np.float32), np.meshgrid(row_at, col_at,
                                                                      indexing='ij'),
                                 order=1, mode='nearest')


def _blur(gray: np.ndarray) -> float:
  """The blur before thresholding: a pixel's worth per 100 pixels of the shorter side."""
  return min(gray.shape) / 100


def _digit(ink: np.ndarray, where: np.ndarray, path: str):
  """(the digit's ink alone, the number of digit-sized marks): the largest mark and
  the parts near it, with the soft edge around their strokes; specks and other marks
  left out."""
  labels, count = ndimage.label(where, structure=np.ones((3, 3)))
  masses = ndimage.sum_labels(ink, labels, np.arange(1, count + 1))
  boxes = ndimage.find_objects(labels)
  largest = int(np.argmax(masses))
  longest = max(_extent(boxes[largest]))
  shortest_side = min(ink.shape)
  if longest < max(MIN_DIGIT_PIXELS, MIN_DIGIT_SHARE * shortest_side):
    raise DataError(path, f'too small to hold a digit: its largest mark is '
                          f'{longest} pixels long of the image\'s {shortest_side}')
  kept = {largest}
  box = _box(boxes[largest])
  grown = True
  while grown:  # Parts near the digit, each widening the digit's box for the next.
    grown = False
    reach = PART_REACH * max(box[2] - box[0], box[3] - box[1])
    for index in range(count):
      if (index not in kept and masses[index] >= PART_SHARE * masses[largest] and
          _gap(box, _box(boxes[index])) <= reach):
        kept.add(index)
        box = _union(box, _box(boxes[index]))
        grown = True
  digit_height = box[2] - box[0]
  digit_mass = sum(masses[index] for index in kept)
  others = [index for index in range(count) if index not in kept and
            _extent(boxes[index])[0] >= OTHER_DIGIT_HEIGHT * digit_height and
            masses[index] >= OTHER_DIGIT_INK * digit_mass]
  strokes = ndimage.binary_dilation(np.isin(labels, [index + 1 for index in kept]),
                                    structure=np.ones((3, 3)))
  digit = np.where(strokes, ink, 0)
  return digit, 1 + len(others)


def _extent(box):
  return box[0].stop - box[0].start, box[1].stop - box[1].start


def _box(box):
  return box[0].start, box[1].start, box[0].stop, box[1].stop  # top, left, bottom, right


def _union(a, b):
  return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _gap(a, b) -> float:
  """The distance between two boxes (0 when they touch or overlap)."""
  rows = max(0, a[0] - b[2], b[0] - a[2])
  cols = max(0, a[1] - b[3], b[1] - a[3])
  return float(np.hypot(rows, cols))


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
