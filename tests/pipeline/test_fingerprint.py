"""Fingerprints change when the data or the code does, and only then."""

import os
import shutil

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


def test_the_code_fingerprint_follows_every_folder_a_run_depends_on(tmp_path, monkeypatch):
  """A copy of the project's code, edited folder by folder: each edit is a new fingerprint."""
  project = fingerprint._PROJECT  # pylint: disable=protected-access
  for folder in fingerprint._CODE_DIRS:  # pylint: disable=protected-access
    shutil.copytree(os.path.join(project, folder), tmp_path / folder,
                    ignore=shutil.ignore_patterns('__pycache__'))
  monkeypatch.setattr(fingerprint, '_PROJECT', str(tmp_path))
  seen = {fingerprint.code_fingerprint()}
  assert fingerprint.code_fingerprint() in seen  # Stable while nothing changes.
  for edited in ('lib/idx.py', 'components/data_gate/executor.py', 'trainer_module/model.py',
                 'pipeline/schema/schema.pbtxt'):
    with open(tmp_path / edited, 'a') as f:
      f.write('\n')
    seen.add(fingerprint.code_fingerprint())
  assert len(seen) == 5
