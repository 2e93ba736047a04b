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

from mnist_tfx.lib import run_record
from mnist_tfx.lib import serving_dir
from mnist_tfx.lib.contracts import Output
from mnist_tfx.lib.contracts import Property
from mnist_tfx.lib.run_record import Lineage
from mnist_tfx.lib.run_record import RunRecord
from mnist_tfx.lib.run_record import Step
from mnist_tfx.pipeline import configs

# TFX's names in ML Metadata, spelt here so that reading a run imports neither TFX nor
# TensorFlow (`history` and `status` answer in a second): tests/pipeline/test_run_reader.py
# pins them to the installed TFX's.
PUSHED_MODEL_TYPE = 'PushedModel'  # standard_artifacts.PushedModel.TYPE_NAME.
RUN_CONTEXT = 'pipeline_run'  # A run's context type (tfx/dsl/compiler/constants.py).
NODE_CONTEXT = 'node'  # A component's context type; its name is '<pipeline>.<component id>'.

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
  return [_read(store, run, metadata_path) for run in _runs(store)]


def pushed_by(metadata_path: str, version: str) -> Optional[RunRecord]:
  """The run whose Pusher pushed `version`; None if no run in the store did."""
  store = open_store(metadata_path)
  pushed = _pushed(store, version) if store is not None else None
  if pushed is None:
    return None
  pusher = _producer(store, pushed.id)
  run = next(c for c in store.get_contexts_by_execution(pusher.id) if c.type == RUN_CONTEXT)
  return _read(store, run, metadata_path)


def latest(metadata_path: str, since: float) -> Optional[RunRecord]:
  """The newest run if ML Metadata recorded it after `since` (Unix seconds), else None:
  a run that failed before recording anything must not show an earlier run's results."""
  store = open_store(metadata_path)
  runs = _runs(store) if store is not None else []
  if not runs or runs[-1].create_time_since_epoch < since * 1000:
    return None
  return _read(store, runs[-1], metadata_path)


def lineage(metadata_path: str, version: str) -> Optional[Lineage]:
  """Follows a pushed version back through the Pusher, the Trainer and Transform to the
  examples; None if no run pushed it.

  The destination and the artifacts' paths are relative to the output folder, so that they
  stay right when the folder is moved or copied (the store records them as they were when
  the run wrote them); the data files read are outside it and stay as recorded.
  """
  store = open_store(metadata_path)
  pushed = _pushed(store, version) if store is not None else None
  if pushed is None:
    return None
  pusher = _producer(store, pushed.id)
  model = _input(store, pusher, Output.MODEL)
  trainer = _producer(store, model.id)
  transform_graph = _input(store, trainer, Output.TRANSFORM_GRAPH)
  transform = _producer(store, transform_graph.id)
  examples = _input(store, transform, Output.EXAMPLES)
  destination = pushed.custom_properties[Property.PUSHED_DESTINATION].string_value
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
  return sorted(store.get_contexts_by_type(RUN_CONTEXT),
                key=lambda c: (c.create_time_since_epoch, c.id))


def _pushed(store, version: str) -> Optional[metadata_store_pb2.Artifact]:
  """The pushed model a run recorded as `version`, if any."""
  return next((a for a in store.get_artifacts_by_type(PUSHED_MODEL_TYPE)
               if Property.PUSHED_VERSION in a.custom_properties
               and a.custom_properties[Property.PUSHED_VERSION].string_value == version), None)


def _read(store, run: metadata_store_pb2.Context, metadata_path: str) -> RunRecord:
  """One run's components, spans, accuracy, blessing and push."""
  record = RunRecord(run_id=run.name, started=run.create_time_since_epoch / 1000)
  pipeline_root = configs.PipelineConfig(output_dir=os.path.dirname(metadata_path)).pipeline_root
  executions = sorted(store.get_executions_by_context(run.id),
                      key=lambda e: (e.create_time_since_epoch, e.id))
  for execution in executions:
    node = _node_name(store, execution)
    seconds = (execution.last_update_time_since_epoch - execution.create_time_since_epoch) / 1000
    record.components.append(
        Step(node, _STATE_WORDS.get(execution.last_known_state, '?'), seconds))
    run_record.read_outputs(record, node, _outputs(store, execution, node, pipeline_root),
                            failed=execution.last_known_state == metadata_store_pb2.Execution.FAILED)
  return record


def _node_name(store, execution) -> str:
  for context in store.get_contexts_by_execution(execution.id):
    if context.type == NODE_CONTEXT:
      return context.name.split('.', 1)[-1]
  return execution.type


def _outputs(store, execution, node: str,
             pipeline_root: str) -> Dict[str, metadata_store_pb2.Artifact]:
  """The execution's output artifacts by key, each at its path in this output folder."""
  events = [e for e in store.get_events_by_execution_ids([execution.id])
            if e.type == metadata_store_pb2.Event.OUTPUT]
  artifacts = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
  outputs = {}
  for event in events:
    if event.path.steps:
      key = event.path.steps[0].key
      outputs[key] = _here(artifacts[event.artifact_id], node, key, pipeline_root)
  return outputs


def _here(artifact: metadata_store_pb2.Artifact, node: str, key: str,
          pipeline_root: str) -> metadata_store_pb2.Artifact:
  """The artifact at its path in this output folder when the folder holds it. The store
  records the path where the run wrote it, <pipeline root>/<component id>/<output
  key>/<execution id> (TFX's layout, outputs_utils); a moved or copied folder has its own
  pipeline root, and a copy without the artifacts still has the store's paths."""
  recorded_root, *layout = artifact.uri.rsplit('/', 3)
  here = '/'.join([pipeline_root, *layout])
  if layout[:2] == [node, key] and recorded_root != pipeline_root and os.path.exists(here):
    artifact.uri = here
  return artifact


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
