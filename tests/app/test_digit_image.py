"""MNIST's preparation of a digit photo: numpy and PIL only, on real test digits and drawn ones."""

import numpy as np
import pytest
from PIL import Image
from PIL import ImageDraw

from mnist_tfx.lib.errors import DataError
from mnist_tfx.app import digit_image


def _centre_of_mass(pixels: np.ndarray):
  rows, cols = np.indices(pixels.shape)
  return (rows * pixels).sum() / pixels.sum(), (cols * pixels).sum() / pixels.sum()


def test_mnist_digits_come_back_almost_unchanged_in_either_polarity(mnist_arrays):
  images, _ = mnist_arrays['eval']
  differences = []
  for image in images[:100]:
    digit = image.reshape(28, 28).astype(np.float32)
    white_on_black = digit_image.prepare(digit)
    black_on_white = digit_image.prepare(255 - digit)
    np.testing.assert_allclose(white_on_black, black_on_white, atol=1e-3)
    row, col = _centre_of_mass(white_on_black)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    differences.append(np.abs(white_on_black - digit).mean())
  # Of 255 per pixel, on average: MNIST's digits were made this way. A digit that
  # moved by one pixel (rounding its centre of mass) differs more on its own.
  assert np.mean(differences) < 3


def test_a_photo_is_inverted_cropped_fitted_and_centred():
  # A dark, tall '1'-like stroke and a short bar, off-centre on grey paper with grain.
  paper = Image.new('L', (300, 200), 200)
  draw = ImageDraw.Draw(paper)
  draw.line([(60, 30), (60, 150)], fill=20, width=9)
  draw.line([(40, 150), (80, 150)], fill=20, width=9)
  noisy = np.asarray(paper, np.float32) + np.random.default_rng(0).normal(0, 6, (200, 300))
  pixels = digit_image.prepare(noisy.clip(0, 255))
  assert pixels.shape == (28, 28) and pixels.dtype == np.float32
  assert pixels.max() > 200 and pixels.min() == 0  # Ink at full strength after resizing.
  rows, cols = np.nonzero(pixels > 0)
  assert rows.max() - rows.min() + 1 <= 21 and cols.max() - cols.min() + 1 <= 21
  assert rows.max() - rows.min() + 1 >= 19  # The longer side fills the box.
  row, col = _centre_of_mass(pixels)
  assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
  assert pixels[0].max() == 0 and pixels[:, -1].max() == 0  # The paper is gone.


def test_files_in_png_jpeg_and_transparent_png_read_alike(tmp_path, mnist_arrays):
  images, _ = mnist_arrays['eval']
  digit = images[0].reshape(28, 28).astype(np.uint8)
  large = Image.fromarray(255 - digit).resize((140, 140), Image.Resampling.BILINEAR)
  large.save(tmp_path / 'digit.png')
  large.convert('RGB').save(tmp_path / 'digit.jpg', quality=95)
  ink_only = Image.new('RGBA', large.size, (0, 0, 0, 0))
  ink_only.putalpha(Image.fromarray(255 - np.asarray(large)))  # Black ink, transparent paper.
  ink_only.save(tmp_path / 'transparent.png')
  from_png = digit_image.read(str(tmp_path / 'digit.png'))
  for other in ('digit.jpg', 'transparent.png'):
    assert np.abs(digit_image.read(str(tmp_path / other)) - from_png).mean() < 3, other


def test_a_blank_image_and_a_non_image_are_refused_naming_the_file(tmp_path):
  blank = tmp_path / 'blank.png'
  Image.new('L', (64, 64), 230).save(blank)
  with pytest.raises(DataError, match='empty image') as error:
    digit_image.read(str(blank))
  assert error.value.path == str(blank)
  text = tmp_path / 'notes.png'
  text.write_text('not an image')
  with pytest.raises(DataError, match='not a PNG or JPEG image'):
    digit_image.read(str(text))
  truncated = tmp_path / 'truncated.png'
  Image.new('L', (64, 64), 0).save(tmp_path / 'whole.png')
  truncated.write_bytes((tmp_path / 'whole.png').read_bytes()[:60])
  with pytest.raises(DataError, match=str(truncated)):
    digit_image.read(str(truncated))
