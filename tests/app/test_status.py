"""mnist-pipeline status on a real run's output folder: the version served, its figures as the
run recorded them, the run that pushed it, rollback copies and the versions kept; as text
and as JSON, without TFX, and read from the folder it is asked about when it was moved."""

import datetime
import json
import os
import shutil

import pytest

from mnist_tfx.app import cli
from mnist_tfx.app import status
from mnist_tfx.lib import contracts
from mnist_tfx.lib import payloads
from mnist_tfx.lib import serving_dir
from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import run_reader
from tests.support.cli_runs import cli_output
from tests.support.fresh import run_fresh

pytestmark = pytest.mark.full


@pytest.fixture(name='outputs')
def _outputs(first_run, tmp_path):
  """A whole copy of the first run's output folder, elsewhere: ML Metadata there still names
  the first run's paths. Rollbacks in it leave the shared run alone."""
  copy = tmp_path / 'moved' / 'outputs'
  shutil.copytree(first_run[0], copy)
  return copy


def _status_json(output_dir):
  """(status as JSON, the heavy packages imported) from a fresh interpreter."""
  result, imported = run_fresh(
      'import sys\n'
      'from mnist_tfx.app import cli\n'
      'assert cli.main(["status", "--json", "--output-dir", sys.argv[1]]) == 0\n', output_dir)
  return json.loads(result.stdout), imported


def _utc(seconds: float) -> str:
  return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
      '%Y-%m-%d %H:%M:%S UTC')


def _first_push(output_dir):
  """The run record of the first run: it pushed the one version."""
  records = run_reader.all_runs(os.path.join(output_dir, 'metadata.sqlite'))
  return next(record for record in records if record.pushed_version)


def test_status_names_the_version_its_figures_and_the_run_that_pushed_it(outputs, first_run):
  record = _first_push(first_run[0])
  found, imported = _status_json(outputs)
  assert imported == ['ml_metadata']  # The store, read without TFX or TensorFlow.
  worst = min(record.digit_accuracy.items(), key=lambda item: item[1])
  assert found == {
      'served_version': record.pushed_version,
      'serving_dir': str(outputs / 'serving'),
      'rollback_of': None,
      'published_at': float(record.pushed_version),
      'pushed_version': record.pushed_version,
      'pushed_at': float(record.pushed_version),
      'pushed_by_run': found['pushed_by_run'],
      'run_started_at': record.started,
      'test_accuracy': record.overall_accuracy,
      'worst_digit': worst[0],
      'worst_digit_accuracy': worst[1],
      'digit_accuracy': {str(digit): value for digit, value in record.digit_accuracy.items()},
      'kept_versions': [record.pushed_version],
  }
  assert found['run_started_at'] <= found['pushed_at'] <= found['run_started_at'] + 1800
  code, text = cli_output('status', '--output-dir', outputs)
  assert code == cli.EXIT_OK
  assert text.splitlines() == [
      f'version served: {record.pushed_version}, pushed by a run (not a rollback copy)',
      f'serving folder: {outputs / "serving"}',
      f'test accuracy:  {record.overall_accuracy:.4f}',
      f'worst digit:    {worst[0]}: {worst[1]:.4f}',
      f'pushed:         {_utc(found["pushed_at"])} by run {found["pushed_by_run"]} (started '
      f'{_utc(record.started)})',
      f'versions kept:  {record.pushed_version} (served)',
  ]


def test_a_rollback_copy_shows_the_version_it_copies_and_its_figures(outputs, first_run):
  record = _first_push(first_run[0])
  pushed = record.pushed_version
  serving = str(outputs / 'serving')
  newer = serving_dir.publish(os.path.join(serving, pushed), serving)  # As if a run pushed.
  assert cli.main(['rollback', pushed, '--output-dir', str(outputs)]) == cli.EXIT_OK
  copy = serving_dir.latest_version(serving)
  found, _ = _status_json(outputs)
  assert (found['served_version'], found['rollback_of'], found['pushed_version']) == (
      copy, pushed, pushed)
  assert found['test_accuracy'] == record.overall_accuracy
  assert found['kept_versions'] == [pushed, newer, copy]
  code, text = cli_output('status', '--output-dir', outputs)
  assert code == cli.EXIT_OK
  lines = text.splitlines()
  assert lines[0] == (f'version served: {copy}, a rollback copy of version {pushed}, made '
                      f'{_utc(float(copy))}')
  assert lines[4].startswith(f'pushed:         version {pushed}, ')
  assert lines[5] == f'versions kept:  {pushed}, {newer}, {copy} (copy of {pushed}, served)'


def test_the_figures_are_read_in_the_folder_asked_about(outputs, first_run):
  """ML Metadata names the first run's folder; a moved copy's own figures are the ones shown."""
  record = _first_push(first_run[0])
  config = configs.PipelineConfig(output_dir=str(outputs))
  evaluations = outputs / 'pipeline' / contracts.ComponentId.EVALUATOR / 'evaluation'
  for figures in evaluations.glob(f'*/{contracts.File.EVALUATION_FIGURES}'):
    changed = payloads.Evaluation.from_json(figures.read_text())
    changed.accuracy = 0.123
    figures.write_text(changed.to_json())
  found = status.read(config)
  assert found.test_accuracy == 0.123 != record.overall_accuracy
  # Without the artifacts here (only the store and the serving folder), the run's own.
  shutil.rmtree(outputs / 'pipeline')
  assert status.read(config).test_accuracy == record.overall_accuracy


def test_nothing_served_yet_is_one_line_and_exit_1(first_run, tmp_path, capsys):
  outputs = tmp_path / 'outputs'
  outputs.mkdir()
  shutil.copy(os.path.join(first_run[0], 'metadata.sqlite'), outputs)
  assert cli.main(['status', '--output-dir', str(outputs)]) == cli.EXIT_FAILED
  assert capsys.readouterr().err == (
      f'error: {outputs / "serving"}: no pushed model yet (mnist-pipeline run pushes one)\n')
  assert sorted(os.listdir(outputs)) == ['metadata.sqlite']
