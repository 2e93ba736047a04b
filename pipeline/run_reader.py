"""Reads what each run did back from ML Metadata into the run record (lib/run_record.py).

Reading the store, rather than collecting results while the run goes, tells the
truth about cached components and about a run that failed. Here each execution's
state and output artifacts are found; what they mean is the record's readers',
which the run report calls too. The end-of-run summary, `history` and the
benchmark only format what this returns.
"""

import json
import os
from typing import Dict, List, Optional

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.types import standard_component_specs

from mnist_tfx.lib import run_record
from mnist_tfx.lib import serving_dir
from mnist_tfx.lib.contracts import Property
from mnist_tfx.lib.run_record import Lineage
from mnist_tfx.lib.run_record import RunRecord
from mnist_tfx.lib.run_record import Step

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
  examples; None if no run pushed it.

  The destination and the artifacts' paths are relative to the output folder, so that they
  stay right when the folder is moved or copied (the store records them as they were when
  the run wrote them); the data files read are outside it and stay as recorded.
  """
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
  destination = pushed[0].custom_properties[Property.PUSHED_DESTINATION].string_value
  recorded = serving_dir.output_folder(destination)

  def relative(path: str) -> str:
    inside = path.startswith(recorded + os.sep)
    return os.path.relpath(path, recorded) if inside else path

  return Lineage(
      pushed_at=pusher.create_time_since_epoch / 1000, destination=relative(destination),
      model_uri=relative(model.uri), trainer_execution=trainer.id,
      trained_at=trainer.create_time_since_epoch / 1000,
      transform_graph_uri=relative(transform_graph.uri), transform_execution=transform.id,
      examples_uri=relative(examples.uri), newest_span=examples.properties['span'].int_value,
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
    run_record.read_outputs(record, node, _outputs(store, execution),
                            failed=execution.last_known_state == metadata_store_pb2.Execution.FAILED)
  return record


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
