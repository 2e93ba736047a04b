"""mnist-pipeline status: the version being served, and where it came from.

The version TF Serving serves is the highest under the serving directory. Its figures
(test accuracy, the worst digit) are those the Evaluator measured in the run that pushed
it; a rollback copy shows the version it copies and that version's figures. The serving
directory is read by lib/serving_dir.py, the run by pipeline/run_reader.py, neither of
which imports TFX or TensorFlow for a local folder (seconds each).
"""

import dataclasses
import datetime
import json
from typing import Dict, List, Optional

from mnist_tfx.lib import serving_dir as serving_dir_lib
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import run_reader

@dataclasses.dataclass
class Status:
  """What is served: times are Unix seconds, None where ML Metadata holds no record of it."""
  served_version: str
  serving_dir: str
  rollback_of: Optional[str]  # The pushed version this one copies; None if a run pushed it.
  published_at: float  # When the served version was published (pushed, or rolled back).
  pushed_version: str  # The version a run pushed: the served one, or the one it copies.
  pushed_at: float
  pushed_by_run: Optional[str]  # The run's id in ML Metadata (its pipeline_run context).
  run_started_at: Optional[float]
  test_accuracy: Optional[float]
  worst_digit: Optional[int]  # The digit read least well: the gate's per-digit floor.
  worst_digit_accuracy: Optional[float]
  digit_accuracy: Dict[int, float]
  kept_versions: List[str]  # Every version in the serving directory, oldest first.

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=1)


def read(config: configs.PipelineConfig) -> Status:
  """Raises UsageError when nothing is served yet."""
  versions = serving_dir_lib.versions(config.serving_dir)
  if not versions:
    raise UsageError(f'{config.serving_dir}: no pushed model yet (mnist-pipeline run '
                     'pushes one)')
  served = versions[-1]
  pushed = serving_dir_lib.origin(config.serving_dir, served)
  run = run_reader.pushed_by(config.metadata_path, pushed)
  digits = run.digit_accuracy if run else {}
  worst = (run.worst_digit() if run else None) or (None, None)
  return Status(
      served_version=served, serving_dir=config.serving_dir,
      rollback_of=pushed if pushed != served else None,
      published_at=serving_dir_lib.published_at(served), pushed_version=pushed,
      pushed_at=serving_dir_lib.published_at(pushed),
      pushed_by_run=run.run_id if run else None, run_started_at=run.started if run else None,
      test_accuracy=run.overall_accuracy if run else None,
      worst_digit=worst[0], worst_digit_accuracy=worst[1], digit_accuracy=digits,
      kept_versions=versions)


def format_text(status: Status, config: configs.PipelineConfig) -> str:
  if status.rollback_of:
    what = (f'a rollback copy of version {status.rollback_of}, made '
            f'{_time(status.published_at)}')
  else:
    what = 'pushed by a run (not a rollback copy)'
  if status.pushed_by_run:
    pushed = (f'{_time(status.pushed_at)} by run {status.pushed_by_run} (started '
              f'{_time(status.run_started_at)})')
  else:
    pushed = f'{_time(status.pushed_at)}; no run in {config.metadata_path} records the push'
  if status.rollback_of:
    pushed = f'version {status.pushed_version}, {pushed}'
  kept = []
  for version in status.kept_versions:
    copied = serving_dir_lib.rolled_back_from(status.serving_dir, version)
    notes = ([f'copy of {copied}'] if copied else []) + (
        ['served'] if version == status.served_version else [])
    kept.append(version + (f' ({", ".join(notes)})' if notes else ''))
  worst = ('-' if status.worst_digit is None
           else f'{status.worst_digit}: {status.worst_digit_accuracy:.4f}')
  return '\n'.join([
      f'version served: {status.served_version}, {what}',
      f'serving folder: {status.serving_dir}',
      f'test accuracy:  {_number(status.test_accuracy)}',
      f'worst digit:    {worst}',
      f'pushed:         {pushed}',
      f'versions kept:  {", ".join(kept)}',
  ]) + '\n'


def _number(value) -> str:
  return '-' if value is None else f'{value:.4f}'


def _time(seconds: Optional[float]) -> str:
  if seconds is None:
    return '-'
  return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
      '%Y-%m-%d %H:%M:%S UTC')
