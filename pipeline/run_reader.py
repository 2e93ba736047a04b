"""Reads what each run did back from ML Metadata: the one reader of the run record.

Reading the store, rather than collecting results while the run goes, tells the
truth about cached components and about a run that failed. The end-of-run
summary, `history` and the benchmark only format what this returns.
"""

import json
import os
from typing import Dict, List, Optional

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.types import standard_component_specs

from mnist_tfx.components.gated_evaluator import metrics
from mnist_tfx.lib import payloads
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.lib.contracts import File
from mnist_tfx.lib.contracts import Output
from mnist_tfx.lib.contracts import Property
from mnist_tfx.pipeline.run_record import Lineage
from mnist_tfx.pipeline.run_record import RunRecord
from mnist_tfx.pipeline.run_record import Step

_STATE_WORDS = {
    metadata_store_pb2.Execution.COMPLETE: 'ran',
    metadata_store_pb2.Execution.CACHED: 'cached',
    metadata_store_pb2.Execution.FAILED: 'FAILED',
    metadata_store_pb2.Execution.RUNNING: 'running',
    metadata_store_pb2.Execution.CANCELED: 'canceled',
}


def open_store(metadata_path: str) -> Optional[metadata_store.MetadataStore]:
  """ML Metadata of local runs, read-only; None before the first run."""
  if not os.path.exists(metadata_path):
    return None
  connection = metadata_store_pb2.ConnectionConfig()
  connection.sqlite.filename_uri = metadata_path
  connection.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
  return metadata_store.MetadataStore(connection)


def all_runs(metadata_path: str) -> Optional[List[RunRecord]]:
  """Every run recorded, oldest first; None if there is no store yet."""
  store = open_store(metadata_path)
  if store is None:
    return None
  return [_read(store, run) for run in _runs(store)]


def latest(metadata_path: str, since: float) -> Optional[RunRecord]:
  """The newest run if ML Metadata recorded it after `since` (Unix seconds), else None:
  a run that failed before recording anything must not show an earlier run's results."""
  store = open_store(metadata_path)
  runs = _runs(store) if store is not None else []
  if not runs or runs[-1].create_time_since_epoch < since * 1000:
    return None
  return _read(store, runs[-1])


def lineage(metadata_path: str, version: str) -> Optional[Lineage]:
  """Follows a pushed version back through the Pusher, the Trainer and Transform to the
  examples; None if no run pushed it."""
  store = open_store(metadata_path)
  pushed = [a for a in (store.get_artifacts_by_type('PushedModel') if store else [])
            if a.custom_properties.get(Property.PUSHED_VERSION) is not None
            and a.custom_properties[Property.PUSHED_VERSION].string_value == version]
  if not pushed:
    return None
  pusher = _producer(store, pushed[0].id)
  model = _input(store, pusher, standard_component_specs.MODEL_KEY)
  trainer = _producer(store, model.id)
  transform_graph = _input(store, trainer, standard_component_specs.TRANSFORM_GRAPH_KEY)
  transform = _producer(store, transform_graph.id)
  examples = _input(store, transform, standard_component_specs.EXAMPLES_KEY)
  return Lineage(
      pushed_at=pusher.create_time_since_epoch / 1000,
      destination=pushed[0].custom_properties[Property.PUSHED_DESTINATION].string_value,
      model_uri=model.uri, trainer_execution=trainer.id,
      trained_at=trainer.create_time_since_epoch / 1000,
      transform_graph_uri=transform_graph.uri, transform_execution=transform.id,
      examples_uri=examples.uri, newest_span=examples.properties['span'].int_value,
      spans=json.loads(examples.custom_properties[Property.SPANS].string_value))


def _runs(store) -> List[metadata_store_pb2.Context]:
  """Every run's context, oldest first."""
  return sorted(store.get_contexts_by_type('pipeline_run'),
                key=lambda c: (c.create_time_since_epoch, c.id))


def _read(store, run: metadata_store_pb2.Context) -> RunRecord:
  """One run's components, spans, accuracy, blessing and push."""
  record = RunRecord(started=run.create_time_since_epoch / 1000)
  executions = sorted(store.get_executions_by_context(run.id),
                      key=lambda e: (e.create_time_since_epoch, e.id))
  for execution in executions:
    node = _node_name(store, execution)
    seconds = (execution.last_update_time_since_epoch - execution.create_time_since_epoch) / 1000
    record.components.append(
        Step(node, _STATE_WORDS.get(execution.last_known_state, '?'), seconds))
    reader = _READERS.get(node)
    if reader is not None:
      failed = execution.last_known_state == metadata_store_pb2.Execution.FAILED
      reader(record, _outputs(store, execution), failed)
  return record


# One reader per component: what its execution adds to the run record, from its output
# artifacts (by output key) and whether it failed.


def _examples(record: RunRecord, outputs: Dict, failed: bool) -> None:
  del failed  # A failed IdxExampleGen has no examples: `outputs` is empty.
  if Output.EXAMPLES in outputs:
    spans = outputs[Output.EXAMPLES].custom_properties.get(Property.SPANS)
    if spans is not None:
      record.train_spans = [part['span'] for part in json.loads(spans.string_value)['train']]


def _data_gate(record: RunRecord, outputs: Dict, failed: bool) -> None:
  del outputs  # Its anomalies are the run report's; the record keeps the stop.
  if failed:
    record.data_error = 'stopped by DataGate (anomalies or drift)'


def _label_check(record: RunRecord, outputs: Dict, failed: bool) -> None:
  if failed:
    record.labels_stopped = True
    record.data_error = 'stopped by LabelCheck (the labels disagree with the served model)'
  elif Output.CHECK in outputs:
    record.label_check = payloads.LabelCheckResult.from_json(
        outputs[Output.CHECK].custom_properties[Property.LABEL_CHECK].string_value)


def _span_test(record: RunRecord, outputs: Dict, failed: bool) -> None:
  del failed  # A failed SpanTest wrote nothing: span_tests stays None.
  if Output.SPAN_TESTS in outputs:
    record.span_tests = payloads.SpanTests.from_json(
        outputs[Output.SPAN_TESTS].custom_properties[Property.SPAN_TESTS].string_value).spans


def _starting_model(record: RunRecord, outputs: Dict, failed: bool) -> None:
  del failed
  if Output.SERVED in outputs:
    served = outputs[Output.SERVED].custom_properties
    record.starting_version = served[Property.SERVED_VERSION].string_value
    record.starting_problem = served[Property.SERVED_PROBLEM].string_value


def _trainer(record: RunRecord, outputs: Dict, failed: bool) -> None:
  del failed
  if standard_component_specs.MODEL_RUN_KEY in outputs:
    record.training_start = _start(outputs[standard_component_specs.MODEL_RUN_KEY].uri)


def _served_model(record: RunRecord, outputs: Dict, failed: bool) -> None:
  del failed
  if Output.BASELINE in outputs:
    problem = outputs[Output.BASELINE].custom_properties.get(Property.SERVED_PROBLEM)
    record.served_problem = problem.string_value if problem is not None else None


def _evaluator(record: RunRecord, outputs: Dict, failed: bool) -> None:
  del failed
  if standard_component_specs.EVALUATION_KEY in outputs:
    evaluation = metrics.read(outputs[standard_component_specs.EVALUATION_KEY].uri)
    record.overall_accuracy = evaluation.accuracy
    record.digit_accuracy = evaluation.digit_accuracy
    record.baseline_accuracy = evaluation.baseline_accuracy
    blessing = outputs.get(standard_component_specs.BLESSING_KEY)
    if blessing is not None:
      record.blessed = blessing.custom_properties[Property.BLESSED].int_value == 1


def _pusher(record: RunRecord, outputs: Dict, failed: bool) -> None:
  del failed
  if standard_component_specs.PUSHED_MODEL_KEY in outputs:
    pushed = outputs[standard_component_specs.PUSHED_MODEL_KEY].custom_properties
    if pushed[Property.PUSHED].int_value == 1:
      record.pushed_to = pushed[Property.PUSHED_DESTINATION].string_value
      record.pushed_version = pushed[Property.PUSHED_VERSION].string_value
    if Property.CANARY in pushed:
      verdict = payloads.CanaryVerdict.from_json(pushed[Property.CANARY].string_value)
      record.canary_failure = verdict.failure
      record.canary_seconds = verdict.seconds
      record.canary_latency_ms = verdict.latency_ms


def _run_report(record: RunRecord, outputs: Dict, failed: bool) -> None:
  del failed
  if Output.REPORT in outputs:
    record.report_page = outputs[Output.REPORT].custom_properties[Property.PAGE_PATH].string_value


_READERS = {
    ComponentId.IDX_EXAMPLE_GEN: _examples,
    ComponentId.DATA_GATE: _data_gate,
    ComponentId.STARTING_MODEL: _starting_model,
    ComponentId.LABEL_CHECK: _label_check,
    ComponentId.TRAINER: _trainer,
    ComponentId.SERVED_MODEL: _served_model,
    ComponentId.SPAN_TEST: _span_test,
    ComponentId.EVALUATOR: _evaluator,
    ComponentId.PUSHER: _pusher,
    ComponentId.RUN_REPORT: _run_report,
}


def _start(model_run_uri: str) -> Optional[payloads.TrainingStart]:
  """The Trainer's record of how training started; None from a Trainer that wrote none."""
  path = os.path.join(model_run_uri, File.START)
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return payloads.TrainingStart.from_json(f.read())


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
