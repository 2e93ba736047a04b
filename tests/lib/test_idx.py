"""IDX parsing: good files raw and gzipped, streamed; a bad file named in the error.

Every kind of malformed pair goes through the command line in the reliability matrix
(tests/reliability/test_bad_input.py).
"""

import os
import shutil

import numpy as np
import pytest

from mnist_tfx.lib import idx
from mnist_tfx.lib.errors import DataError
from tests.support import idx_files


@pytest.fixture
def arrays(mnist_arrays):
  images, labels = mnist_arrays['eval']
  return images[:300], labels[:300]


def write_pair(tmp_path, images_data: bytes, labels_data: bytes, gzipped=True):
  images = idx_files.write(tmp_path / 't10k-images-idx3-ubyte', images_data, gzipped)
  labels = idx_files.write(tmp_path / 't10k-labels-idx1-ubyte', labels_data, gzipped)
  return images, labels


@pytest.mark.parametrize('gzipped', [True, False])
def test_reads_back_what_was_written(tmp_path, arrays, gzipped):
  images, labels = arrays
  paths = write_pair(tmp_path, idx_files.image_bytes(images), idx_files.label_bytes(labels),
                     gzipped)
  read_images, read_labels = idx.read_arrays(*paths)
  np.testing.assert_array_equal(read_images, images)
  np.testing.assert_array_equal(read_labels, labels)


def test_streams_in_bounded_chunks(tmp_path, arrays, monkeypatch):
  monkeypatch.setattr(idx, 'CHUNK', 64)
  images, labels = arrays
  paths = write_pair(tmp_path, idx_files.image_bytes(images), idx_files.label_bytes(labels))
  sizes = [len(chunk_labels) for _, chunk_labels in idx.read_pairs(*paths)]
  assert max(sizes) == 64
  assert sum(sizes) == len(labels)


def test_limit_reads_only_the_first_records(tmp_path, arrays):
  images, labels = arrays
  paths = write_pair(tmp_path, idx_files.image_bytes(images), idx_files.label_bytes(labels))
  _, read_labels = idx.read_arrays(*paths, limit=50)
  np.testing.assert_array_equal(read_labels, labels[:50])


def test_finds_pairs_raw_or_gzipped(tmp_path, mnist_arrays):
  idx_files.write_data_root(tmp_path, {'train': mnist_arrays['eval']}, gzipped=False)
  idx_files.write_data_root(tmp_path, {'eval': mnist_arrays['eval']}, gzipped=True)
  assert idx.find_pair(str(tmp_path), 'train')[0].endswith('train-images-idx3-ubyte')
  assert idx.find_pair(str(tmp_path), 't10k')[1].endswith('t10k-labels-idx1-ubyte.gz')


def test_a_bad_file_is_a_data_error_naming_the_file_and_the_problem(tmp_path, arrays):
  """One case here; the reliability matrix runs every malformed pair through the command."""
  make, _, words = idx_files.BAD_PAIRS['truncated labels']
  images_path, labels_path = write_pair(tmp_path, *make(arrays))
  with pytest.raises(DataError) as error:
    idx.read_arrays(images_path, labels_path)
  assert error.value.path == labels_path and words in error.value.problem


@pytest.mark.parametrize('extra, words', [
    ('train-images-idx3-ubyte', 'both train-images-idx3-ubyte and train-images-idx3-ubyte.gz '
     'hold the train images, and only one would be read; keep one'),
    ('train-images.idx3-ubyte', 'both train-images-idx3-ubyte.gz and train-images.idx3-ubyte '
     'hold the train images'),
    ('TRAIN-LABELS-IDX1-UBYTE.GZ', 'both TRAIN-LABELS-IDX1-UBYTE.GZ and '
     'train-labels-idx1-ubyte.gz hold the train labels'),
])
def test_two_files_for_one_part_of_a_pair_are_refused_naming_both(tmp_path, mnist_arrays,
                                                                  extra, words):
  """Which one would be read was the code's choice (the uncompressed file, before): now the
  user's."""
  idx_files.write_data_root(tmp_path, mnist_arrays)
  shutil.copy(tmp_path / 'train-images-idx3-ubyte.gz', tmp_path / extra)
  with pytest.raises(DataError) as error:
    idx.find_pair(str(tmp_path), 'train')
  assert error.value.path == str(tmp_path) and error.value.problem.startswith(words)


def test_a_lone_file_under_another_spelling_is_refused_not_ignored(tmp_path, mnist_arrays):
  idx_files.write_data_root(tmp_path, mnist_arrays)
  os.rename(tmp_path / 't10k-labels-idx1-ubyte.gz', tmp_path / 't10k-labels.idx1-ubyte.gz')
  with pytest.raises(DataError, match='would not be read: the t10k labels are read from '
                     r't10k-labels-idx1-ubyte\[.gz\] only; rename it') as error:
    idx.find_pair(str(tmp_path), 't10k')
  assert error.value.path == str(tmp_path / 't10k-labels.idx1-ubyte.gz')


def test_missing_pair_names_the_lone_file(tmp_path, mnist_arrays):
  idx_files.write_data_root(tmp_path, mnist_arrays)
  os.remove(tmp_path / 'train-labels-idx1-ubyte.gz')
  with pytest.raises(DataError, match='missing its pair') as error:
    idx.find_pair(str(tmp_path), 'train')
  assert error.value.path.endswith('train-images-idx3-ubyte.gz')


def test_missing_pair_and_missing_folder(tmp_path, mnist_arrays):
  idx_files.write_data_root(tmp_path, {'train': mnist_arrays['train']})
  assert idx.find_pair(str(tmp_path), 't10k') is None
  with pytest.raises(DataError, match='does not exist'):
    idx.find_pair(str(tmp_path / 'nowhere'), 'train')


def test_reads_a_data_root_with_a_scheme_through_fileio(small_data_root, mnist_arrays):
  """gs:// on Kubeflow; TensorFlow's in-memory ram:// filesystem stands in for it here."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  remote_root = 'ram://mnist-test-data'
  for name in os.listdir(small_data_root):
    tf.io.gfile.copy(os.path.join(small_data_root, name), f'{remote_root}/{name}',
                     overwrite=True)
  assert idx.find_pair(remote_root, 'train')[0].startswith(remote_root)
  images, labels = idx.read_arrays(*idx.find_pair(remote_root, 't10k'))
  np.testing.assert_array_equal(images, mnist_arrays['eval'][0])
  np.testing.assert_array_equal(labels, mnist_arrays['eval'][1])
  with pytest.raises(DataError, match='does not exist'):
    idx.find_pair('ram://no-such-root', 'train')
