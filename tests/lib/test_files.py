"""lib/files.py: a local file with open, an object store's through TFX's fileio."""

from mnist_tfx.lib import files


def test_a_local_file_is_read_and_a_missing_one_is_none(tmp_path):
  (tmp_path / 'note.txt').write_text('1796642454\n')
  assert files.read_text(str(tmp_path / 'note.txt')) == '1796642454\n'
  assert files.read_text(str(tmp_path / 'missing.txt')) is None


def test_an_object_stores_file_is_read_through_fileio():
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  with fileio.open('ram://files-test/note.txt', 'w') as f:
    f.write('1796642454\n')
  assert files.read_text('ram://files-test/note.txt') == '1796642454\n'
  assert files.read_text('ram://files-test/missing.txt') is None
