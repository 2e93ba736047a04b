"""The end-of-run summary, read back from ML Metadata and the Evaluator's output.

Reading the store, rather than collecting results while the run goes, means the
summary tells the truth about cached components and about a run that failed.
"""

import dataclasses
import json
import os
from typing import Dict, List, Optional, Tuple

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

from pipeline import configs

_STATE_WORDS = {
    metadata_store_pb2.Execution.COMPLETE: 'ran',
    metadata_store_pb2.Execution.CACHED: 'cached',
    metadata_store_pb2.Execution.FAILED: 'FAILED',
    metadata_store_pb2.Execution.RUNNING: 'running',
    metadata_store_pb2.Execution.CANCELED: 'canceled',
}


@dataclasses.dataclass
class Report:
  wall_seconds: float
  gate: str = ''
  components: List[Tuple[str, str, float]] = dataclasses.field(default_factory=list)
  overall_accuracy: Optional[float] = None
  digit_accuracy: Dict[int, float] = dataclasses.field(default_factory=dict)
  baseline_accuracy: Optional[float] = None
  blessed: Optional[bool] = None
  pushed_to: Optional[str] = None
  pushed_version: Optional[str] = None
  started: float = 0.0  # Unix seconds.
  train_spans: List[int] = dataclasses.field(default_factory=list)
  data_error: Optional[str] = None  # Why the run stopped before training, if it did.
  report_page: Optional[str] = None  # RunReport's index.html.
  served_problem: Optional[str] = None  # Why the served model was not trusted, if it was not.

  def all_cached(self) -> bool:
    """Nothing ran: no new data, code or settings since an earlier run."""
    return bool(self.components) and all(s == 'cached' for _, s, _ in self.components)


def read(config: configs.PipelineConfig, started_at: float, wall_seconds: float) -> Report:
  """This run's components (cached or run, seconds), accuracy, blessing and push.

  A run is this one if ML Metadata recorded it after `started_at` (Unix seconds):
  a run that failed before recording anything must not show an earlier run's results.
  """
  report = Report(
      wall_seconds=wall_seconds,
      gate=(f'overall >= {config.accuracy_threshold}, each digit >= '
            f'{config.digit_accuracy_floor}, at most {config.max_regression} below the served model'))
  store = open_store(config.metadata_path)
  if store is None:
    return report
  runs = pipeline_runs(store)
  if not runs or runs[-1].create_time_since_epoch < started_at * 1000:
    return report
  read_run(store, runs[-1], report)
  return report


def open_store(metadata_path: str) -> Optional[metadata_store.MetadataStore]:
  """ML Metadata of local runs, read-only; None before the first run."""
  if not os.path.exists(metadata_path):
    return None
  connection = metadata_store_pb2.ConnectionConfig()
  connection.sqlite.filename_uri = metadata_path
  connection.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
  return metadata_store.MetadataStore(connection)


def pipeline_runs(store) -> List[metadata_store_pb2.Context]:
  """Every run recorded, oldest first."""
  return sorted(store.get_contexts_by_type('pipeline_run'),
                key=lambda c: (c.create_time_since_epoch, c.id))


def read_run(store, run: metadata_store_pb2.Context, report: Report) -> Report:
  """Fills `report` with one run's components, spans, accuracy, blessing and push."""
  report.started = run.create_time_since_epoch / 1000
  executions = sorted(store.get_executions_by_context(run.id),
                      key=lambda e: (e.create_time_since_epoch, e.id))
  for execution in executions:
    node = _node_name(store, execution)
    seconds = (execution.last_update_time_since_epoch - execution.create_time_since_epoch) / 1000
    report.components.append(
        (node, _STATE_WORDS.get(execution.last_known_state, '?'), seconds))
    outputs = _outputs(store, execution)
    if node == 'IdxExampleGen' and 'examples' in outputs:
      spans = outputs['examples'].custom_properties.get('spans')
      if spans is not None:
        report.train_spans = [part['span'] for part in json.loads(spans.string_value)['train']]
    if node == 'DataGate' and execution.last_known_state == metadata_store_pb2.Execution.FAILED:
      report.data_error = 'stopped by DataGate (anomalies or drift)'
    if node == 'ServedModel' and 'baseline' in outputs:
      problem = outputs['baseline'].custom_properties.get('served_problem')
      report.served_problem = problem.string_value if problem is not None else None
    if node == 'Evaluator' and 'evaluation' in outputs:
      _read_metrics(outputs['evaluation'].uri, report)
      blessing = outputs.get('blessing')
      if blessing is not None:
        report.blessed = blessing.custom_properties['blessed'].int_value == 1
    if node == 'Pusher' and 'pushed_model' in outputs:
      pushed = outputs['pushed_model'].custom_properties
      if pushed['pushed'].int_value == 1:
        report.pushed_to = pushed['pushed_destination'].string_value
        report.pushed_version = pushed['pushed_version'].string_value
    if node == 'RunReport' and 'report' in outputs:
      report.report_page = outputs['report'].custom_properties['page_path'].string_value
  return report


def _node_name(store, execution) -> str:
  for context in store.get_contexts_by_execution(execution.id):
    if context.type == 'node':
      return context.name.split('.', 1)[-1]
  return execution.type


def _outputs(store, execution) -> Dict[str, metadata_store_pb2.Artifact]:
  events = [e for e in store.get_events_by_execution_ids([execution.id])
            if e.type == metadata_store_pb2.Event.OUTPUT]
  artifacts = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
  return {e.path.steps[0].key: artifacts[e.artifact_id] for e in events if e.path.steps}


def _read_metrics(evaluation_uri: str, report: Report) -> None:
  # The run report reads the same figures: one reader of the Evaluator's output.
  from components.run_report import facts  # pylint: disable=g-import-not-at-top
  evaluation = facts.evaluation(evaluation_uri)
  report.overall_accuracy = evaluation.accuracy
  report.digit_accuracy = evaluation.digit_accuracy
  report.baseline_accuracy = evaluation.baseline_accuracy


def format_report(report: Report) -> str:
  """A table of components, then accuracy, blessing and where the model went."""
  lines = ['', f'{"component":<18}{"status":<9}{"seconds":>8}']
  for name, status, seconds in report.components:
    lines.append(f'{name:<18}{status:<9}{seconds:>8.1f}')
  lines.append(f'{"wall time":<27}{report.wall_seconds:>8.1f}')
  lines.append('')
  if report.train_spans:
    lines.append(f'train spans:   {", ".join(map(str, report.train_spans))}')
  if report.overall_accuracy is not None:
    lines.append(f'test accuracy: {report.overall_accuracy:.4f}' + (
        f' (served model: {report.baseline_accuracy:.4f})'
        if report.baseline_accuracy is not None else ''))
    lines.append('per digit:     ' + '  '.join(
        f'{digit}: {value:.4f}' for digit, value in sorted(report.digit_accuracy.items())))
  if report.served_problem:
    lines.append(f'served model:  DAMAGED, not trusted as the baseline ({report.served_problem}); '
                 'the absolute gate alone decided')
  if report.blessed is not None:
    lines.append(f'blessed:       {"yes" if report.blessed else "no"} (gate: {report.gate})')
  lines.append(f'pushed to:     {report.pushed_to or "nothing pushed"}')
  if report.report_page:
    lines.append(f'run report:    {report.report_page}')
  states = {name: status for name, status, _ in report.components}
  if report.all_cached():
    lines.append('nothing changed since an earlier run (every component cached): '
                 'nothing new pushed, the served model stays')
  elif report.pushed_to and states.get('Pusher') == 'cached':
    lines.append('               (by an earlier run: nothing changed, nothing new pushed)')
  return '\n'.join(lines) + '\n'
