"""mnist-pipeline status: the version being served, and where it came from.

The version TF Serving serves is the highest under the serving directory. Its figures
(test accuracy, the worst digit) are those the Evaluator measured in the run that pushed
it; a rollback copy shows the version it copies and that version's figures. The serving
directory is read by lib/serving_dir.py, ML Metadata by ml_metadata alone: status reads a
few rows and one small file, and neither TFX nor TensorFlow is imported (seconds each),
which is why it does not go through pipeline/run_reader.py.
"""

import dataclasses
import datetime
import json
import os
from typing import Dict, List, NamedTuple, Optional

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

from mnist_tfx.lib import payloads
from mnist_tfx.lib import serving_dir as serving_dir_lib
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.lib.contracts import File
from mnist_tfx.lib.contracts import Output
from mnist_tfx.lib.contracts import Property
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs

# TFX's names in ML Metadata, spelt here so that status need not import TFX:
# tests/app/test_status.py pins them to the installed TFX's.
PUSHED_MODEL_TYPE = 'PushedModel'  # standard_artifacts.PushedModel.TYPE_NAME
RUN_CONTEXT = 'pipeline_run'  # A run's context type (tfx/dsl/compiler/constants.py).
NODE_CONTEXT = 'node'  # A component's context type; its name is '<pipeline>.<component id>'.


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


class _Push(NamedTuple):
  """The run that pushed a version, and the Evaluator's figures of that run."""
  run: Optional[str] = None  # None: ML Metadata holds no push of the version.
  started: Optional[float] = None
  figures: Optional[payloads.Evaluation] = None


def read(config: configs.PipelineConfig) -> Status:
  """Raises UsageError when nothing is served yet."""
  versions = serving_dir_lib.versions(config.serving_dir)
  if not versions:
    raise UsageError(f'{config.serving_dir}: no pushed model yet (mnist-pipeline run '
                     'pushes one)')
  served = versions[-1]
  pushed = serving_dir_lib.origin(config.serving_dir, served)
  found = _push(config, pushed)
  figures = found.figures or payloads.Evaluation()
  worst = (min(figures.digit_accuracy.items(), key=lambda item: item[1])
           if figures.digit_accuracy else (None, None))
  return Status(
      served_version=served, serving_dir=config.serving_dir,
      rollback_of=pushed if pushed != served else None,
      published_at=serving_dir_lib.published_at(served), pushed_version=pushed,
      pushed_at=serving_dir_lib.published_at(pushed), pushed_by_run=found.run,
      run_started_at=found.started, test_accuracy=figures.accuracy,
      worst_digit=worst[0], worst_digit_accuracy=worst[1],
      digit_accuracy=figures.digit_accuracy, kept_versions=versions)


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


def _push(config: configs.PipelineConfig, version: str) -> _Push:
  if not os.path.exists(config.metadata_path):
    return _Push()
  connection = metadata_store_pb2.ConnectionConfig()
  connection.sqlite.filename_uri = config.metadata_path
  connection.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
  store = metadata_store.MetadataStore(connection)
  pushed = [a for a in store.get_artifacts_by_type(PUSHED_MODEL_TYPE)
            if Property.PUSHED_VERSION in a.custom_properties
            and a.custom_properties[Property.PUSHED_VERSION].string_value == version]
  if not pushed:
    return _Push()
  # The first execution that output it pushed it; a cached Pusher later only reused it.
  pusher = min(e.execution_id for e in store.get_events_by_artifact_ids([pushed[0].id])
               if e.type == metadata_store_pb2.Event.OUTPUT)
  run = next(c for c in store.get_contexts_by_execution(pusher) if c.type == RUN_CONTEXT)
  figures = None
  recorded = serving_dir_lib.output_folder(
      pushed[0].custom_properties[Property.PUSHED_DESTINATION].string_value)
  for execution in store.get_executions_by_context(run.id):
    if _node(store, execution.id) != ComponentId.EVALUATOR:
      continue
    for event in store.get_events_by_execution_ids([execution.id]):
      if (event.type == metadata_store_pb2.Event.OUTPUT and event.path.steps
          and event.path.steps[0].key == Output.EVALUATION):
        [evaluation] = store.get_artifacts_by_id([event.artifact_id])
        figures = _figures(config, recorded, evaluation.uri)
  return _Push(run.name, run.create_time_since_epoch / 1000, figures)


def _figures(config: configs.PipelineConfig, recorded: str,
             evaluation_uri: str) -> Optional[payloads.Evaluation]:
  """The Evaluator's figures.json: in this output folder when the run wrote it under another
  path (the folder was moved or copied), else where the run wrote it; None if in neither."""
  folders = [evaluation_uri]
  if evaluation_uri.startswith(recorded + os.sep):
    folders.insert(0, os.path.join(config.output_dir, os.path.relpath(evaluation_uri, recorded)))
  for folder in folders:
    path = os.path.join(folder, File.EVALUATION_FIGURES)
    if os.path.exists(path):
      with open(path) as f:
        return payloads.Evaluation.from_json(f.read())
  return None


def _node(store, execution_id: int) -> Optional[str]:
  for context in store.get_contexts_by_execution(execution_id):
    if context.type == NODE_CONTEXT:
      return context.name.split('.', 1)[-1]
  return None


def _number(value) -> str:
  return '-' if value is None else f'{value:.4f}'


def _time(seconds: Optional[float]) -> str:
  if seconds is None:
    return '-'
  return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
      '%Y-%m-%d %H:%M:%S UTC')
