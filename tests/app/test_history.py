"""mnist-pipeline history and rollback on a real run's output folder: rollbacks are rows of
their own, `*` marks the version served, a rollback to the model served writes nothing, and
lineage's paths are the output folder's own when it was moved or copied."""

import os
import shutil

import pytest

from mnist_tfx.app import cli
from mnist_tfx.lib import serving_dir
from mnist_tfx.pipeline import run_reader
from tests.support.cli_runs import cli_output
from tests.support.folders import copy_run
from tests.support.folders import snapshot

pytestmark = pytest.mark.full


@pytest.fixture(name='outputs')
def _outputs(first_run, tmp_path):
  """A whole copy of the first run's output folder, elsewhere (its store names the first
  run's paths); rollbacks in it leave the shared run alone."""
  copy = tmp_path / 'moved' / 'outputs'
  shutil.copytree(first_run[0], copy)
  return copy


def _pushed(output_dir) -> str:
  records = run_reader.all_runs(os.path.join(output_dir, 'metadata.sqlite'))
  return next(record.pushed_version for record in records if record.pushed_version)


def test_rollbacks_are_rows_of_their_own_and_the_served_version_is_marked(outputs):
  pushed = _pushed(outputs)
  code, before = cli_output('history', '--output-dir', outputs)
  assert code == cli.EXIT_OK
  header, *rows = before.splitlines()
  assert header.endswith('pushed (*: served now)')
  assert [row.split()[-1] for row in rows if row.split()[-1].lstrip('*') == pushed] == [
      '*' + pushed]
  serving = str(outputs / 'serving')
  newer = serving_dir.publish(os.path.join(serving, pushed), serving)  # As if a run pushed.
  code, _ = cli_output('rollback', pushed, '--output-dir', outputs)
  assert code == cli.EXIT_OK
  copy = serving_dir.latest_version(serving)
  assert copy not in (pushed, newer)
  code, after = cli_output('history', '--output-dir', outputs)
  assert code == cli.EXIT_OK
  header, *rows = after.splitlines()
  runs = before.splitlines()[1:]
  assert len(rows) == len(runs) + 1  # The rollback's row, last: the newest.
  assert rows[:-1] == [row.replace('*' + pushed, pushed) for row in runs]
  pushed_row = next(row for row in rows if row.endswith(f'  {pushed}'))
  words = rows[-1].split()
  assert rows[-1].endswith(f'rollback *{copy} (a copy of {pushed})')
  assert words[2:5] == ['-', '-', '-']  # No spans, labels or start: nothing was trained.
  assert words[5] == pushed_row.split()[5]  # The accuracy of the version it copies.
  assert sum('*' in row for row in rows) == 1


def test_a_rollback_to_the_model_served_says_so_and_writes_nothing(outputs):
  pushed = _pushed(outputs)
  before = snapshot(outputs)
  code, said = cli_output('rollback', pushed, '--output-dir', outputs)
  assert (code, said) == (cli.EXIT_OK,
                          f'Version {pushed} is already served; nothing was written.\n')
  assert snapshot(outputs) == before
  serving = str(outputs / 'serving')
  serving_dir.publish(os.path.join(serving, pushed), serving)
  code, said = cli_output('rollback', pushed, '--output-dir', outputs)
  copy = serving_dir.latest_version(serving)
  assert (code, said) == (cli.EXIT_OK,
                          f'Version {copy} now serves the model of version {pushed}.\n')
  before = snapshot(outputs)
  for version in (pushed, copy):  # The copy is served: asking for either changes nothing.
    code, said = cli_output('rollback', version, '--output-dir', outputs)
    assert code == cli.EXIT_OK and 'is already served' in said and 'nothing was written' in said
  assert snapshot(outputs) == before
  # Not even the run lock is made where there was none (a store and a serving folder alone).
  bare = outputs.parent / 'bare'
  copy_run(outputs, bare)
  code, said = cli_output('rollback', copy, '--output-dir', bare)
  assert (code, said) == (cli.EXIT_OK,
                          f'Version {copy} is already served; nothing was written.\n')
  assert sorted(os.listdir(bare)) == ['metadata.sqlite', 'serving']


def test_lineage_paths_are_the_moved_folders_own(outputs, first_run):
  pushed = _pushed(outputs)
  code, lineage = cli_output('history', '--output-dir', outputs, '--lineage', pushed)
  assert code == cli.EXIT_OK
  assert str(first_run[0]) not in lineage  # The store's paths, written there, are not shown.
  lines = lineage.splitlines()
  assert lines[0].endswith(f' to {os.path.join("serving", pushed)}')
  for line, name in zip(lines[1:5], ('model', 'trained by', 'transform graph', 'examples')):
    assert line.lstrip().startswith(f'{name}:')
  for line in (lines[1], lines[3], lines[4]):
    path = line.split(':', 1)[1].split()[0]
    assert path.startswith('pipeline' + os.sep) and (outputs / path).is_dir(), line
  # A copy of the store and the serving folder alone: the paths are noted as not there.
  bare = outputs.parent / 'bare'
  copy_run(outputs, bare)
  code, lineage = cli_output('history', '--output-dir', bare, '--lineage', pushed)
  assert code == cli.EXIT_OK
  assert lineage.splitlines()[1].endswith(f'(not in {bare})')
  assert f'serving{os.sep}{pushed}' in lineage.splitlines()[0]
  assert '(not in' not in lineage.splitlines()[0]
