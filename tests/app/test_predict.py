"""mnist-pipeline predict on the shared first run's served model: real test digits as files."""

import json
import os
import shutil

import numpy as np
from PIL import Image
import pytest

from mnist_tfx.app import cli

pytestmark = pytest.mark.full

DIGITS = 20


def _write(folder, images, labels, ink_on_paper: bool):
  """Each digit enlarged 4x, as a PNG named by its index and label."""
  folder.mkdir()
  for index, (image, label) in enumerate(zip(images, labels)):
    pixels = image.reshape(28, 28).astype(np.uint8)
    if ink_on_paper:
      pixels = 255 - pixels
    Image.fromarray(pixels).resize((112, 112), Image.Resampling.BILINEAR).save(
        folder / f'{index:02d}-{label}.png')
  return folder


def test_test_digits_come_back_with_their_labels_in_either_polarity(
    first_run, mnist_arrays, tmp_path, capsys):
  output_dir, _ = first_run
  images, labels = mnist_arrays['eval']
  folders = [_write(tmp_path / 'white-on-black', images[:DIGITS], labels[:DIGITS], False),
             _write(tmp_path / 'black-on-white', images[:DIGITS], labels[:DIGITS], True)]
  capsys.readouterr()
  assert cli.main(['predict', *map(str, folders), '--output-dir', str(output_dir),
                   '--json']) == cli.EXIT_OK
  answer = json.loads(capsys.readouterr().out)
  assert answer['model'].startswith(str(output_dir / 'serving'))
  predictions = answer['predictions']
  assert len(predictions) == 2 * DIGITS
  right = 0
  for prediction in predictions:
    label = int(prediction['path'].rsplit('-', 1)[1][:-len('.png')])
    right += prediction['digit'] == label
    assert prediction['probability'] == max(prediction['probabilities'])
    assert abs(sum(prediction['probabilities']) - 1) < 1e-4
  # The quick model is about 95% right on test digits; prepared files read as well.
  assert right >= 2 * DIGITS - 2
  # Folders in the order given, files by name: the two polarities read alike.
  assert ([p['digit'] for p in predictions[:DIGITS]] ==
          [p['digit'] for p in predictions[DIGITS:]])

  assert cli.main(['predict', str(folders[0] / '00-7.png'),
                   '--output-dir', str(output_dir)]) == cli.EXIT_OK
  lines = capsys.readouterr().out.splitlines()
  assert lines[0] == f'model: {answer["model"]}'
  assert lines[1].startswith(f'{folders[0] / "00-7.png"}: 7 (probability ')


def test_bad_files_and_no_model_are_one_line_each(first_run, tmp_path, capsys):
  output_dir, _ = first_run
  blank = tmp_path / 'blank.jpg'
  Image.new('RGB', (80, 80), 'white').save(blank)
  notes = tmp_path / 'notes.png'
  notes.write_text('a shopping list')
  for path, cause in ((blank, 'empty image'), (notes, 'not a PNG or JPEG image'),
                      (tmp_path / 'missing.png', 'no such file or folder')):
    assert cli.main(['predict', str(path), '--output-dir', str(output_dir)]) == cli.EXIT_BAD_DATA
    error = capsys.readouterr().err
    assert error.startswith(f'error: bad input data: {path}: {cause}')
    assert error.count('\n') == 1
  assert cli.main(['predict', str(blank), '--output-dir', str(tmp_path / 'new')]) == cli.EXIT_FAILED
  error = capsys.readouterr().err
  assert error.startswith(f'error: {tmp_path / "new" / "serving"}: no pushed model yet')


def test_a_damaged_model_is_refused_in_one_line(first_run, tmp_path, capsys, mnist_arrays):
  images, _ = mnist_arrays['eval']
  digit = tmp_path / 'digit.png'
  Image.fromarray(images[0].reshape(28, 28)).save(digit)
  serving = tmp_path / 'outputs' / 'serving'
  shutil.copytree(os.path.join(first_run[0], 'serving'), serving)
  version = sorted(os.listdir(serving))[-1]
  graph = serving / version / 'saved_model.pb'
  graph.write_bytes(graph.read_bytes() + b'!')
  assert cli.main(['predict', str(digit), '--output-dir', str(tmp_path / 'outputs')]) == (
      cli.EXIT_FAILED)
  error = capsys.readouterr().err
  assert error == (f'error: the newest version is damaged: {graph}: changed since it was '
                   'pushed (SHA-256 differs) (mnist-pipeline run replaces it; rollback serves '
                   'an earlier one)\n')


def test_a_bad_file_in_a_folder_is_one_line_and_the_rest_are_answered(
    first_run, mnist_arrays, tmp_path, capsys):
  output_dir, _ = first_run
  images, labels = mnist_arrays['eval']
  folder = _write(tmp_path / 'digits', images[:DIGITS], labels[:DIGITS], True)
  Image.new('RGB', (80, 80), 'white').save(folder / '05-blank.jpg')
  Image.fromarray(np.full((5, 5), 255, np.uint8)).save(folder / '06-tiny.png')
  (folder / '07-notes.png').write_text('a shopping list')
  capsys.readouterr()
  assert cli.main(['predict', str(folder), str(tmp_path / 'missing.png'),
                   '--output-dir', str(output_dir)]) == cli.EXIT_BAD_DATA
  out, err = capsys.readouterr()
  assert err.splitlines() == [
      f'error: bad input data: {folder / "05-blank.jpg"}: empty image: no ink stands out '
      'from the background',
      f'error: bad input data: {folder / "06-tiny.png"}: too small to hold a digit: 5x5 '
      'pixels (at least 16x16)',
      f'error: bad input data: {folder / "07-notes.png"}: not a PNG or JPEG image',
      f'error: bad input data: {tmp_path / "missing.png"}: no such file or folder']
  lines = out.splitlines()
  assert lines[0].startswith('model: ')
  assert [line.split(':')[0] for line in lines[1:]] == [
      str(folder / f'{index:02d}-{label}.png') for index, label in enumerate(labels[:DIGITS])]

  assert cli.main(['predict', str(folder), '--output-dir', str(output_dir),
                   '--json']) == cli.EXIT_BAD_DATA
  out, err = capsys.readouterr()
  answer = json.loads(out)
  assert len(answer['predictions']) == DIGITS
  assert [refused['path'] for refused in answer['refused']] == [
      str(folder / name) for name in ('05-blank.jpg', '06-tiny.png', '07-notes.png')]
  assert len(err.splitlines()) == 3


def test_two_digits_in_one_image_are_answered_as_unsure(first_run, mnist_arrays, tmp_path,
                                                        capsys):
  output_dir, _ = first_run
  images, _ = mnist_arrays['eval']
  digits = [255 - image.reshape(28, 28) for image in images[1:3]]  # 2 and 1, ink on paper.
  pair = tmp_path / 'pair.png'
  Image.fromarray(np.concatenate(digits, axis=1)).resize((224, 112)).save(pair)
  one = tmp_path / 'one.png'
  Image.fromarray(digits[0]).resize((112, 112)).save(one)
  capsys.readouterr()
  assert cli.main(['predict', str(pair), str(one), '--output-dir', str(output_dir),
                   '--json']) == cli.EXIT_OK
  predictions = json.loads(capsys.readouterr().out)['predictions']
  assert predictions[0]['unsure'][0] == 'it seems to hold 2 digits (the largest was read)'
  assert not any('digits' in why for why in predictions[1]['unsure'])
  assert cli.main(['predict', str(pair), '--output-dir', str(output_dir)]) == cli.EXIT_OK
  line = capsys.readouterr().out.splitlines()[1]
  assert line.startswith(f'{pair}: ') and ', unsure: it seems to hold 2 digits' in line
