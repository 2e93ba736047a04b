"""Past runs and the lineage of a pushed version, read from ML Metadata.

`runs` is one line per run: when, which spans it trained on, accuracy (overall
and the worst digit), blessed or not, the version pushed. `lineage` follows a
pushed version back through the Pusher, the Trainer and Transform to the
examples, and names the spans and files (with SHA-256) they were read from.
"""

import datetime
import json
from ml_metadata.proto import metadata_store_pb2

from components import serving_dir as serving_dir_lib
from pipeline import configs
from pipeline import summary


def runs(config: configs.PipelineConfig) -> str:
  store = summary.open_store(config.metadata_path)
  if store is None:
    return f'No runs yet: {config.metadata_path} does not exist.\n'
  lines = [f'{"started (UTC)":<20}{"spans":<9}{"accuracy":>9}{"worst digit":>15}  '
           f'{"blessed":<9}pushed']
  for run in summary.pipeline_runs(store):
    report = summary.read_run(store, run, summary.Report(wall_seconds=0))
    worst = (min(report.digit_accuracy.items(), key=lambda item: item[1])
             if report.digit_accuracy else None)
    if report.blessed is None:
      blessed = 'stopped' if report.data_error else '-'
    else:
      blessed = 'yes' if report.blessed else 'no'
    lines.append(
        f'{_time(report.started):<20}{",".join(map(str, report.train_spans)) or "-":<9}'
        f'{_number(report.overall_accuracy):>9}'
        f'{(f"{worst[0]}: {worst[1]:.4f}" if worst else "-"):>15}  '
        f'{blessed:<9}{_pushed(report)}')
  return '\n'.join(lines) + '\n'


def lineage(config: configs.PipelineConfig, version: str) -> str:
  """Where a served version came from; raises ValueError for an unknown version."""
  lines = []
  source = serving_dir_lib.rolled_back_from(config.serving_dir, version)
  if source is not None:
    lines.append(f'version {version} is a rollback copy of version {source}')
    version = source
  store = summary.open_store(config.metadata_path)
  pushed = [a for a in (store.get_artifacts_by_type('PushedModel') if store else [])
            if a.custom_properties.get('pushed_version') is not None
            and a.custom_properties['pushed_version'].string_value == version]
  if not pushed:
    raise ValueError(f'no pushed version {version} in {config.metadata_path}')
  pusher = _producer(store, pushed[0].id)
  model = _input(store, pusher, 'model')
  trainer = _producer(store, model.id)
  transform_graph = _input(store, trainer, 'transform_graph')
  transform = _producer(store, transform_graph.id)
  examples = _input(store, transform, 'examples')
  lines += [
      f'version {version}: pushed {_time(pusher.create_time_since_epoch / 1000)} '
      f'to {pushed[0].custom_properties["pushed_destination"].string_value}',
      f'  model:           {model.uri}',
      f'  trained by:      Trainer execution {trainer.id}, '
      f'{_time(trainer.create_time_since_epoch / 1000)}',
      f'  transform graph: {transform_graph.uri} (Transform execution {transform.id})',
      f'  examples:        {examples.uri} (span {examples.properties["span"].int_value} newest)',
  ]
  read = json.loads(examples.custom_properties['spans'].string_value)
  for split, parts in read.items():
    for part in parts:
      label = f'span {part["span"]}' if part['span'] is not None else 'fixed set'
      for path, digest in part['files'].items():
        lines.append(f'    {split:<9}{label:<10}{path}  sha256 {digest}')
  return '\n'.join(lines) + '\n'


def _producer(store, artifact_id: int) -> metadata_store_pb2.Execution:
  """The execution that output the artifact (the first, if cached runs reused it)."""
  events = [e for e in store.get_events_by_artifact_ids([artifact_id])
            if e.type == metadata_store_pb2.Event.OUTPUT]
  return store.get_executions_by_id([min(e.execution_id for e in events)])[0]


def _input(store, execution, key: str) -> metadata_store_pb2.Artifact:
  events = [e for e in store.get_events_by_execution_ids([execution.id])
            if e.type == metadata_store_pb2.Event.INPUT and e.path.steps
            and e.path.steps[0].key == key]
  return store.get_artifacts_by_id([events[0].artifact_id])[0]


def _pushed(report: summary.Report) -> str:
  if not report.pushed_version:
    return '-'
  cached = dict((name, status) for name, status, _ in report.components).get('Pusher') == 'cached'
  return report.pushed_version + (' (by an earlier run)' if cached else '')


def _number(value) -> str:
  return '-' if value is None else f'{value:.4f}'


def _time(seconds: float) -> str:
  return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
      '%Y-%m-%d %H:%M:%S')

