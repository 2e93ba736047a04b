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
