"""Bad input through the command line: one line naming the file and the cause, a non-zero
exit, nothing run and the served model's files unchanged, byte for byte.

Each case is checked before TFX starts (app/preflight.py), so each costs about a
second; the components make the same checks again where nothing runs before them.
"""

import os

import pytest

from mnist_tfx.app.exit_codes import EXIT_BAD_DATA
from mnist_tfx.app.exit_codes import EXIT_BAD_OPTION
from mnist_tfx.app.exit_codes import EXIT_FAILED
from tests.support import idx_files
from tests.support.cli_runs import mnist_pipeline
from tests.support.cli_runs import served_versions
from tests.support.folders import snapshot
from tests.reliability.table import command_line

pytestmark = pytest.mark.full

TRAIN_IMAGES, TRAIN_LABELS = 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'


@pytest.fixture
def arrays(mnist_arrays):
  images, labels = mnist_arrays['eval']
  return images[:300], labels[:300]


def _data_root(folder, arrays):
  """A good data root of 300 digits: train and t10k pairs."""
  idx_files.write_data_root(folder, {'train': arrays, 'eval': arrays})
  return folder


def _check_refused(result, output_dir, served_before, exit_status, message_start):
  """The run stopped with one line, before running anything; the served files are as they were."""
  lines = result.stderr.strip().splitlines()
  assert result.returncode == exit_status
  assert len(lines) == 1 and lines[0].startswith(message_start), lines
  assert lines[0].endswith('Nothing was run.')
  assert snapshot(output_dir / 'serving') == served_before
  assert not os.path.exists(output_dir / 'pipeline')  # No component started.
  return lines[0]


def _observed(result, output_dir, served_before):
  unchanged = snapshot(output_dir / 'serving') == served_before
  return (f'exit {result.returncode}; `{result.stderr.strip().splitlines()[-1]}`; '
          f'served files {"unchanged" if unchanged else "CHANGED"}')


@pytest.mark.parametrize('case', sorted(idx_files.BAD_PAIRS) + ['corrupt gzip stream'])
def test_a_malformed_idx_pair_is_refused_naming_the_file(
    case, tmp_path, arrays, output_with_a_served_model, record):
  root = _data_root(tmp_path / 'data', arrays)
  if case == 'corrupt gzip stream':
    bad, words = TRAIN_IMAGES, 'corrupt gzip stream'
    (root / TRAIN_IMAGES).write_bytes(idx_files.bad_gzip(idx_files.image_bytes(arrays[0])))
  else:
    make, which, words = idx_files.BAD_PAIRS[case]
    images_bytes, labels_bytes = make(arrays)
    idx_files.write(root / 'train-images-idx3-ubyte', images_bytes)
    idx_files.write(root / 'train-labels-idx1-ubyte', labels_bytes)
    bad = TRAIN_IMAGES if which == 'images' else TRAIN_LABELS
  output_dir = output_with_a_served_model
  before = snapshot(output_dir / 'serving')
  args = ('run', '--data-root', root, '--output-dir', output_dir)
  result = mnist_pipeline(*args)
  record(f'IDX file: {case}', f'exit 2, `error: bad input data: <file>: {words}...`',
         _observed(result, output_dir, before),
         command_line(*args, DATA=root, OUT=output_dir))
  line = _check_refused(result, output_dir, before, EXIT_BAD_DATA,
                        f'error: bad input data: {root / bad}: ')
  assert words in line


def _missing_root(root, arrays):
  del arrays  # Nothing is written: the root does not exist.
  return root, 'does not exist or is not a folder'


def _empty_root(root, arrays):
  del arrays
  root.mkdir()
  return root, 'no train-images-idx3-ubyte[.gz] / train-labels-idx1-ubyte[.gz] pair'


def _images_without_labels(root, arrays):
  _data_root(root, arrays)
  os.remove(root / TRAIN_LABELS)
  return root / TRAIN_IMAGES, 'missing its pair: no train-labels-idx1-ubyte[.gz] beside it'


def _unreadable_file(root, arrays):
  _data_root(root, arrays)
  os.chmod(root / TRAIN_LABELS, 0)
  return root / TRAIN_LABELS, 'cannot be read (Permission denied)'


def _span_linked_out_of_the_root(root, arrays):
  _data_root(root, arrays)
  _data_root(root.parent / 'elsewhere', arrays)
  os.symlink('../elsewhere', root / 'span-2')
  return root / 'span-2', f'leads out of {root}'


def _idx_file_linked_out_of_the_root(root, arrays):
  _data_root(root, arrays)
  os.rename(root / TRAIN_LABELS, root.parent / TRAIN_LABELS)
  os.symlink(os.path.join('..', TRAIN_LABELS), root / TRAIN_LABELS)
  return root / TRAIN_LABELS, f'leads out of {root}'


DATA_ROOT_CASES = {
    'data root missing': _missing_root,
    'data root empty': _empty_root,
    'images without labels': _images_without_labels,
    'IDX file without read permission': _unreadable_file,
    'span folder linked out of the data root (../)': _span_linked_out_of_the_root,
    'IDX file linked out of the data root (../)': _idx_file_linked_out_of_the_root,
}


@pytest.mark.parametrize('case', list(DATA_ROOT_CASES))
def test_a_bad_data_root_is_refused_naming_the_path(
    case, tmp_path, arrays, output_with_a_served_model, record):
  root = tmp_path / 'data'
  bad, words = DATA_ROOT_CASES[case](root, arrays)
  output_dir = output_with_a_served_model
  before = snapshot(output_dir / 'serving')
  args = ('run', '--data-root', root, '--output-dir', output_dir)
  result = mnist_pipeline(*args, unprivileged=True)
  record(case, f'exit 2, `error: bad input data: {str(bad).replace(str(root), "DATA")}: '
         f'{words}`', _observed(result, output_dir, before),
         command_line(*args, DATA=root, OUT=output_dir))
  line = _check_refused(result, output_dir, before, EXIT_BAD_DATA,
                        f'error: bad input data: {bad}: ')
  assert words in line


def test_an_output_folder_that_cannot_be_written_is_refused(
    tmp_path, arrays, output_with_a_served_model, record):
  root = _data_root(tmp_path / 'data', arrays)
  output_dir = output_with_a_served_model
  before = snapshot(output_dir / 'serving')
  os.chmod(output_dir, 0o555)
  try:
    args = ('run', '--data-root', root, '--output-dir', output_dir)
    result = mnist_pipeline(*args, unprivileged=True)
  finally:
    os.chmod(output_dir, 0o755)
  record('output folder not writable', 'exit 1, `error: OUT: cannot be written (...)`',
         _observed(result, output_dir, before), command_line(*args, DATA=root, OUT=output_dir))
  _check_refused(result, output_dir, before, EXIT_FAILED,
                 f'error: {output_dir}: cannot be written (Permission denied)')
  assert os.listdir(output_dir) == ['serving']


def test_a_rollback_to_a_path_that_leaves_the_serving_directory_is_refused(
    output_with_a_served_model, record):
  output_dir = output_with_a_served_model
  before = snapshot(output_dir / 'serving')
  version = served_versions(output_dir)[0]
  args = ('rollback', f'../serving/{version}', '--output-dir', output_dir)
  result = mnist_pipeline(*args)
  last = result.stderr.strip().splitlines()[-1]
  record('rollback to a version named with ../',
         "exit 2, `error: VERSION '../...': must be a version number ...`",
         _observed(result, output_dir, before), command_line(*args, OUT=output_dir))
  assert result.returncode == EXIT_BAD_OPTION  # Refused before anything runs.
  assert last == (f"error: VERSION '../serving/{version}': must be a version number, as "
                  '`history` lists them')
  assert snapshot(output_dir / 'serving') == before


def test_a_malformed_span_is_refused_and_the_data_root_is_unchanged(tmp_path, arrays, record):
  root = _data_root(tmp_path / 'data', arrays)
  new = tmp_path / 'new'
  make, _, words = idx_files.BAD_PAIRS['truncated labels']
  images_bytes, labels_bytes = make(arrays)
  new.mkdir()
  idx_files.write(new / 'train-images-idx3-ubyte', images_bytes)
  idx_files.write(new / 'train-labels-idx1-ubyte', labels_bytes)
  before = snapshot(root)
  args = ('add-span', new, '--data-root', root)
  result = mnist_pipeline(*args)
  record('add-span of a truncated label file',
         'exit 2, one line naming the file; data root unchanged',
         f'exit {result.returncode}; `{result.stderr.strip()}`; data root '
         f'{"unchanged" if snapshot(root) == before else "CHANGED"}',
         command_line(*args, NEW=new, DATA=root))
  assert result.returncode == EXIT_BAD_DATA
  assert len(result.stderr.strip().splitlines()) == 1
  assert result.stderr.startswith(f'error: bad input data: {new / TRAIN_LABELS}: {words}')
  assert snapshot(root) == before
