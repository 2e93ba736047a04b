"""Fingerprints change when the data does, and only then."""

import os

from pipeline import fingerprint


def test_data_fingerprint_follows_the_files(tmp_path):
  (tmp_path / 'train-images-idx3-ubyte.gz').write_bytes(b'abc')
  before = fingerprint.data_fingerprint(str(tmp_path))
  assert fingerprint.data_fingerprint(str(tmp_path)) == before
  (tmp_path / 'train-images-idx3-ubyte.gz').write_bytes(b'abcd')
  assert fingerprint.data_fingerprint(str(tmp_path)) != before
  assert fingerprint.data_fingerprint(str(tmp_path / 'missing')) == ''


def test_code_fingerprint_is_stable():
  assert fingerprint.code_fingerprint() == fingerprint.code_fingerprint()
  assert len(fingerprint.code_fingerprint()) == 16
  assert os.path.isdir(os.path.join(fingerprint._PROJECT, 'trainer_module'))  # pylint: disable=protected-access
