"""Fingerprints change when the data does, and only then."""

import os

from mnist_tfx.pipeline import fingerprint


def test_data_fingerprint_follows_the_files(tmp_path):
  (tmp_path / 'train-images-idx3-ubyte.gz').write_bytes(b'abc')
  before = fingerprint.data_fingerprint(str(tmp_path))
  assert fingerprint.data_fingerprint(str(tmp_path)) == before
  (tmp_path / 'train-images-idx3-ubyte.gz').write_bytes(b'abcd')
  assert fingerprint.data_fingerprint(str(tmp_path)) != before
  assert fingerprint.data_fingerprint(str(tmp_path / 'missing')) == ''


def test_a_new_span_changes_the_data_fingerprint_a_span_being_added_does_not(tmp_path):
  (tmp_path / 'train-images-idx3-ubyte.gz').write_bytes(b'abc')
  before = fingerprint.data_fingerprint(str(tmp_path))
  (tmp_path / '.incoming-span-2-7').mkdir()
  (tmp_path / '.incoming-span-2-7' / 'train-images-idx3-ubyte.gz').write_bytes(b'x')
  assert fingerprint.data_fingerprint(str(tmp_path)) == before
  os.rename(tmp_path / '.incoming-span-2-7', tmp_path / 'span-2')
  assert fingerprint.data_fingerprint(str(tmp_path)) != before


def test_code_fingerprint_is_stable():
  assert fingerprint.code_fingerprint() == fingerprint.code_fingerprint()
  assert len(fingerprint.code_fingerprint()) == 16
  assert os.path.isdir(os.path.join(fingerprint._PROJECT, 'trainer_module'))  # pylint: disable=protected-access
