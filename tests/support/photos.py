"""Photo-like images of digits, for predict's tests: what a phone sees, made here.

Each digit is printed in an installed font (fc-list) or written by hand (a held-out
MNIST test digit, data/mnist/t10k-*: the pipeline trains on train-* only), then
photographed badly: dark ink on tinted paper, light that varies across the frame,
noise, blur, a tilt of up to 15 degrees, specks of dust, the digit off-centre. A clean
image is the same digit in black on white, upright and centred: no excuse to get it wrong.

Two sets that share no font, no handwritten digit and no seed, so that predict's
thresholds are chosen on one and checked on the other:

- TUNE: every third font (by file name) and test digits from TUNE_FIRST_DIGIT on; to
  choose digit_image's and predict's thresholds (`python -m tests.support.photos
  MODEL_DIR` prints what each threshold would do).
- TEST: the other fonts and test digits from 0 on; only ever checked, in
  tests/app/test_predict_photos.py.
"""

import dataclasses
import os
import subprocess
import sys
import tempfile
from typing import List

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFilter
from PIL import ImageFont

from tests.support import idx_files

TUNE, TEST = 'tune', 'test'
# Held-out handwritten digits: TEST reads t10k from 0, TUNE from here; never the same one.
TUNE_FIRST_DIGIT = 5000
# How many of each kind a set holds.
FONT_PHOTOS_PER_DIGIT = 2  # Per font and digit, besides its clean image.
HANDWRITTEN_PHOTOS = 150
HANDWRITTEN_CLEAN = 30
# The photographs.
MAX_TILT = 15  # Degrees, either way.
MAX_LIGHT_SPREAD = 60  # Grey levels between the lightest and the darkest paper.
PAPERS = ((238, 228, 205), (214, 224, 236), (226, 236, 214), (205, 205, 200), (246, 240, 228))
INKS = ((25, 25, 35), (22, 32, 95), (65, 45, 35), (45, 45, 45))
SEEDS = {TUNE: 1000, TEST: 2000}


@dataclasses.dataclass(frozen=True)
class Photo:
  name: str  # '<index>-<kind>-<label>', kind e.g. 'DejaVuSans-Bold' or 'mnist', '-clean' added.
  label: int
  clean: bool
  image: np.ndarray  # RGB, uint8.


def font_files() -> List[str]:
  """Every TrueType or OpenType font fc-list knows, by file name."""
  listed = subprocess.run(['fc-list', '--format', '%{file}\n'], capture_output=True,
                          text=True, check=True).stdout.split()
  return sorted({path for path in listed if path.lower().endswith(('.ttf', '.otf'))},
                key=os.path.basename)


def fonts(which: str) -> List[str]:
  every = font_files()
  chosen = every[0::3] if which == TUNE else [f for i, f in enumerate(every) if i % 3]
  if not chosen:
    raise RuntimeError('no fonts found by fc-list: install fonts-dejavu or fonts-liberation')
  return chosen


def printed(font_file: str, digit: int, height: int = 120) -> np.ndarray:
  """The digit's ink (0..1), cropped to it, printed in the font."""
  font = ImageFont.truetype(font_file, size=height)
  canvas = Image.new('L', (2 * height, 2 * height), 0)
  ImageDraw.Draw(canvas).text((height // 2, height // 4), str(digit), fill=255, font=font)
  ink = np.asarray(canvas, np.float32) / 255
  rows, cols = np.nonzero(ink > 0.05)
  return ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def handwritten(pixels: np.ndarray) -> np.ndarray:
  """An MNIST digit's ink (0..1), cropped to it."""
  ink = pixels.reshape(28, 28).astype(np.float32) / 255
  rows, cols = np.nonzero(ink > 0.05)
  return ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def clean(ink: np.ndarray) -> np.ndarray:
  """Black on white, upright, centred, the digit 60% of a 160-pixel square."""
  image = _compose(_scaled(ink, 96), (160, 160), (80, 80), (255,) * 3, (0,) * 3)
  return image.round().astype(np.uint8)


def photographed(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """Tilted, on tinted paper under uneven light, off-centre, with specks, blurred, noisy."""
  size = (int(rng.integers(150, 260)), int(rng.integers(150, 260)))  # (width, height)
  longest = rng.uniform(0.35, 0.6) * min(size)
  digit = _scaled(ink, int(longest * ink.shape[0] / max(ink.shape)))
  digit = np.asarray(Image.fromarray(digit, 'F').rotate(
      rng.uniform(-MAX_TILT, MAX_TILT), Image.Resampling.BICUBIC, expand=True)).clip(0, 1)
  height, width = digit.shape
  centre = (rng.uniform(width / 2 + 4, size[0] - width / 2 - 4),
            rng.uniform(height / 2 + 4, size[1] - height / 2 - 4))
  paper = PAPERS[rng.integers(len(PAPERS))]
  ink_colour = INKS[rng.integers(len(INKS))]
  image = _compose(digit, size, centre, paper, ink_colour)
  image = _specks(image, rng, centre, (width, height), ink_colour)
  image = _uneven_light(image, rng)
  blurred = Image.fromarray(image.clip(0, 255).astype(np.uint8)).filter(
      ImageFilter.GaussianBlur(rng.uniform(0, 1.5)))
  noisy = np.asarray(blurred, np.float32) + rng.normal(0, rng.uniform(2, 10), image.shape)
  return noisy.clip(0, 255).astype(np.uint8)


def photos(which: str) -> List[Photo]:
  """The set: each font's digits clean and photographed, and handwritten test digits."""
  rng = np.random.default_rng(SEEDS[which])
  made = []

  def add(kind, label, ink, is_clean):
    image = clean(ink) if is_clean else photographed(ink, rng)
    name = f'{len(made):04d}-{kind}{"-clean" if is_clean else ""}-{label}'
    made.append(Photo(name, label, is_clean, image))

  for font_file in fonts(which):
    kind = os.path.splitext(os.path.basename(font_file))[0]
    for digit in range(10):
      ink = printed(font_file, digit)
      add(kind, digit, ink, True)
      for _ in range(FONT_PHOTOS_PER_DIGIT):
        add(kind, digit, ink, False)
  indices = handwritten_indices(which)
  images, labels = idx_files.read_split('eval', indices.stop)
  for index in indices:
    add('mnist', int(labels[index]), handwritten(images[index]),
        index >= indices.start + HANDWRITTEN_PHOTOS)
  return made


def handwritten_indices(which: str) -> range:
  """The t10k digits a set draws: photographed first, then the clean ones."""
  first = 0 if which == TEST else TUNE_FIRST_DIGIT
  return range(first, first + HANDWRITTEN_PHOTOS + HANDWRITTEN_CLEAN)


def write(folder, made: List[Photo]) -> List[str]:
  """Each photo as a file named after it, every other one a JPEG (as phones save them)."""
  os.makedirs(folder, exist_ok=True)
  paths = []
  for index, photo in enumerate(made):
    path = os.path.join(folder, photo.name + ('.jpg' if index % 2 else '.png'))
    Image.fromarray(photo.image).save(path, **({'quality': 90} if index % 2 else {}))
    paths.append(path)
  return paths


def label_of(path: str) -> int:
  """The label a written photo's name carries."""
  return int(os.path.splitext(path)[0].rsplit('-', 1)[1])


def _scaled(ink: np.ndarray, height: int) -> np.ndarray:
  width = max(1, round(ink.shape[1] * height / ink.shape[0]))
  return np.asarray(Image.fromarray(ink, 'F').resize((width, height),
                                                     Image.Resampling.BICUBIC)).clip(0, 1)


def _compose(digit, size, centre, paper, ink_colour) -> np.ndarray:
  """The digit's ink laid on paper, its box centred at centre (x, y): RGB floats."""
  width, height = size
  coverage = np.zeros((height, width), np.float32)
  top = int(round(centre[1] - digit.shape[0] / 2))
  left = int(round(centre[0] - digit.shape[1] / 2))
  coverage[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
  coverage = coverage[..., None]
  return (1 - coverage) * np.array(paper, np.float32) + coverage * np.array(ink_colour, np.float32)


def _specks(image, rng, centre, digit_size, ink_colour) -> np.ndarray:
  """Up to three dots of dust of about 8 pixels, clear of the digit's box."""
  height, width = image.shape[:2]
  for _ in range(int(rng.integers(0, 4))):
    for _ in range(20):  # A place outside the digit's box, if one is found.
      x, y = rng.uniform(3, width - 3), rng.uniform(3, height - 3)
      if (abs(x - centre[0]) > digit_size[0] / 2 + 5 or
          abs(y - centre[1]) > digit_size[1] / 2 + 5):
        rows, cols = np.indices((height, width))
        dot = (rows - y) ** 2 + (cols - x) ** 2 <= rng.uniform(1.2, 1.8) ** 2
        image[dot] = ink_colour
        break
  return image


def _uneven_light(image, rng) -> np.ndarray:
  """A linear gradient in a random direction, spreading the paper over up to
  MAX_LIGHT_SPREAD grey levels, darkest in one corner."""
  height, width = image.shape[:2]
  angle = rng.uniform(0, 2 * np.pi)
  rows, cols = np.indices((height, width), np.float32)
  ramp = np.cos(angle) * cols / width + np.sin(angle) * rows / height
  ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())  # 0 lightest .. 1 darkest.
  return image - (rng.uniform(0.3, 1) * MAX_LIGHT_SPREAD * ramp)[..., None]


def tuning_report(serving_dir: str) -> str:
  """What predict answers on TUNE, and what each threshold of unsure would mark: to
  choose predict.UNSURE_BELOW (not a test; nothing in TEST is read)."""
  from mnist_tfx.app import predict  # pylint: disable=g-import-not-at-top
  made = photos(TUNE)
  with tempfile.TemporaryDirectory() as folder:
    write(folder, made)
    answer = predict.predict([folder], serving_dir)
  lines = [f'model: {answer.model_dir}', f'refused: {[str(e) for e in answer.refused]}']
  right = np.array([p.digit == label_of(p.path) for p in answer.predictions])
  best = np.array([p.probability for p in answer.predictions])
  is_clean = np.array(['-clean-' in p.path for p in answer.predictions])
  is_font = np.array(['-mnist' not in p.path for p in answer.predictions])
  lines.append(f'right: {right.mean():.4f} of {len(right)}; clean {right[is_clean].mean():.4f} '
               f'of {is_clean.sum()}; fonts {right[is_font].mean():.4f}; handwritten '
               f'{right[~is_font].mean():.4f}')
  lines.append('wrong: ' + ', '.join(f'{os.path.basename(p.path)} as {p.digit} ({p.probability:.3f})'
                                     for p, ok in zip(answer.predictions, right) if not ok))
  lines.append('said to hold more than one digit: ' + ', '.join(
      os.path.basename(p.path) for p in answer.predictions if 'digits' in ' '.join(p.unsure)))
  lines.append('below  marked  wrong marked  right marked  right of the rest')
  for threshold in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99):
    marked = best < threshold
    lines.append(f'{threshold:5.2f}  {marked.mean():6.3f}  {marked[~right].mean():12.3f}  '
                 f'{marked[right].mean():12.3f}  {right[~marked].mean():.4f}')
  return '\n'.join(lines) + '\n'


if __name__ == '__main__':
  print(tuning_report(sys.argv[1]), end='')
