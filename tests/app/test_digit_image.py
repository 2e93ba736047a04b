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


def _on_paper(ink: np.ndarray, size=(200, 240), at=(60, 40), paper=200.0, pen=40.0):
  """A digit's ink (0..1) as dark pen on grey paper, its top left corner at `at`."""
  coverage = np.zeros(size, np.float32)
  coverage[at[0]:at[0] + ink.shape[0], at[1]:at[1] + ink.shape[1]] = ink
  return paper - (paper - pen) * coverage


def _enlarged(image: np.ndarray, factor=4) -> np.ndarray:
  """An MNIST digit's ink (0..1), enlarged as a photo of it would be."""
  digit = Image.fromarray(image.reshape(28, 28).astype(np.float32) / 255, mode='F')
  return np.asarray(digit.resize((28 * factor, 28 * factor), Image.Resampling.BILINEAR))


def test_uneven_light_noise_and_a_tilt_are_not_ink(mnist_arrays):
  # The photo: dark digits on tinted paper, darker by 55 grey levels across
  # the frame, noise, tilted 15 degrees. Read against the same digits on even paper.
  images, _ = mnist_arrays['eval']
  rng = np.random.default_rng(3)
  rows, cols = np.indices((200, 240))
  shadow = 55 * (rows / 200 + cols / 240) / 2  # Darkest at the bottom right corner.
  differences = []
  for image in images[:20]:
    ink = _enlarged(image)
    ink = np.asarray(Image.fromarray(ink, 'F').rotate(15, Image.Resampling.BILINEAR,
                                                       expand=True)).clip(0, 1)
    even = digit_image.prepare(_on_paper(ink, at=(30, 50)))
    photo = _on_paper(ink, at=(30, 50), paper=215, pen=60) - shadow
    photo = (photo + rng.normal(0, 6, photo.shape)).clip(0, 255)
    prepared = digit_image.prepare_digit(photo)
    assert prepared.digits == 1
    # The crop is the digit's, not the shadow's: the same field but for grain, or
    # moved by a pixel where the centre of mass rounds the other way.
    assert np.corrcoef(prepared.pixels.ravel(), even.ravel())[0, 1] > 0.9
    differences.append(np.abs(prepared.pixels - even).mean())
  assert np.mean(differences) < 3  # Of 255 per pixel (1.6 here).


def test_a_speck_beside_the_digit_is_left_out_a_broken_stroke_is_kept(mnist_arrays):
  images, _ = mnist_arrays['eval']
  ink = _enlarged(images[0])  # A 7.
  alone = digit_image.prepare(_on_paper(ink))
  specked = _on_paper(ink)
  specked[100:103, 20:23] = 40  # Dust: 9 pixels of ink, 20 pixels left of the digit.
  specked[10:12, 200:204] = 40
  np.testing.assert_allclose(digit_image.prepare(specked), alone, atol=1e-3)
  # A 7 whose stem is cut in two: both parts are the digit.
  broken = ink.copy()
  rows = np.nonzero(broken.any(axis=1))[0]
  middle = (rows.min() + rows.max()) // 2
  broken[middle:middle + 3] = 0
  prepared = digit_image.prepare(_on_paper(broken))
  assert (prepared > 0).any(axis=1).sum() >= 19  # The field still holds the whole height.


def test_two_digits_side_by_side_are_said_to_be_two(mnist_arrays):
  images, _ = mnist_arrays['eval']
  pair = np.concatenate([_enlarged(images[1]), _enlarged(images[2])], axis=1)  # 2, then 1.
  assert digit_image.prepare_digit(_on_paper(pair, size=(200, 300), at=(40, 30))).digits == 2
  assert digit_image.prepare_digit(_on_paper(_enlarged(images[1]))).digits == 1


def test_an_image_too_small_for_a_digit_is_refused_naming_the_file(tmp_path):
  tiny = tmp_path / 'tiny.png'
  pixels = np.zeros((5, 5), np.uint8)
  pixels[2, 2] = 255
  Image.fromarray(pixels).save(tiny)
  with pytest.raises(DataError, match='too small to hold a digit: 5x5 pixels') as error:
    digit_image.read(str(tiny))
  assert error.value.path == str(tiny)
  # A large image whose only ink is a dot: no digit in it either.
  dot = np.full((200, 200), 230, np.float32)
  dot[100:103, 100:103] = 20
  with pytest.raises(DataError, match='too small to hold a digit: its largest mark'):
    digit_image.prepare(dot, 'dot.png')


def test_a_tilt_turns_the_digit_about_its_centre_of_mass(mnist_arrays):
  images, _ = mnist_arrays['eval']
  pixels = digit_image.prepare(images[0].reshape(28, 28).astype(np.float32))
  np.testing.assert_allclose(digit_image.tilted(pixels, 0), pixels)
  turned = digit_image.tilted(pixels, 8)
  assert not np.allclose(turned, pixels)
  row, col = _centre_of_mass(turned)
  assert abs(row - 14) <= 0.6 and abs(col - 14) <= 0.6
