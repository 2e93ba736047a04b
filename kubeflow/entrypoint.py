"""Every compiled step's command: TFX's Kubeflow V2 entrypoint, fitted to the open-source KFP.

TFX 1.16's `kubeflow_v2_run_executor` expects what Vertex AI Pipelines hands a
step. The open-source KFP backend (2.0 to 2.5 and its main branch) differs in
three ways that each stop a step; this module repairs them around TFX's own
entrypoint, which still does the work. tests/kubeflow/backend/ reproduces the
backend from its source and shows each fault with TFX's plain entrypoint.

1. Inputs arrive with an empty type (`{instanceSchema: ""}`): the backend rebuilds
   upstream artifacts from ML Metadata without their schema (metadata/client.go,
   "TODO ... figure out how to get schema"), and TFX's type lookup then fails with
   `AttributeError: 'NoneType' object has no attribute 'get'`. Each input gets its
   type back from the inputs spec compiled into the step's own arguments.
2. From 2.5.0 the driver adds an `executor-logs` output typed `system.Artifact`
   when PUBLISH_LOGS is on (driver.go, provisionOutputs); TFX cannot import that
   type. Outputs of KFP's own `system.*` types are left to the launcher.
3. TensorFlow's GCS `makedirs` writes a zero-byte `dir/` marker object for each
   folder level it creates. The launcher downloads every input artifact before the
   next step starts and writes such a marker as a file, so creating the folder below
   it then fails (`mkdir ...: not a directory`, kubeflow/pipelines#13476). Markers
   under every output URI are removed once the executor has finished.

Last, a step that succeeded leaves without the C++ teardown of the interpreter's
exit, where TensorFlow has been reported to abort ("pure virtual method called",
sky-uk/kfp-operator, TFX 1.17 on S3) after the output metadata was written.
"""

import argparse
import atexit
import json
import logging
import os
import sys
from typing import Any, Dict, List, Tuple

from absl import app
from absl.flags import argparse_flags
import yaml

# KFP's own artifact types (kfp/dsl/types/artifact_types.py): no TFX class stands behind them.
KFP_TYPE_PREFIX = 'system.'


def parse_args(argv: List[str]) -> Tuple[argparse.Namespace, List[str]]:
  """The compiled arguments, as TFX's entrypoint reads them; the rest are Beam's."""
  parser = argparse_flags.ArgumentParser(prog='mnist_tfx.kubeflow.entrypoint')
  parser.add_argument('--executor_class_path', required=True)
  parser.add_argument('--json_serialized_invocation_args', required=True)
  parser.add_argument('--json_serialized_inputs_spec_args', default='')
  return parser.parse_known_args(argv)


def _has_type(artifact_type: Dict[str, Any]) -> bool:
  return bool(artifact_type.get('schemaTitle') or artifact_type.get('instanceSchema'))


def retype_inputs(executor_input: Dict[str, Any], inputs_spec: Dict[str, Any]) -> None:
  """Gives every untyped input artifact the type its input declares."""
  declared = inputs_spec.get('artifacts', {})
  for key, artifact_list in executor_input.get('inputs', {}).get('artifacts', {}).items():
    for artifact in artifact_list.get('artifacts', []):
      if not _has_type(artifact.get('type', {})):
        if key not in declared:
          raise ValueError(f'input {key!r} has no type and the inputs spec declares none')
        artifact['type'] = dict(declared[key]['artifactType'])


def _type_title(artifact_type: Dict[str, Any]) -> str:
  """The type's title, read as TFX reads it (kubeflow_v2_entrypoint_utils._retrieve_class_path)."""
  if artifact_type.get('schemaTitle'):
    return artifact_type['schemaTitle']
  return (yaml.safe_load(artifact_type.get('instanceSchema', '')) or {}).get('title', '')


def drop_launcher_outputs(executor_input: Dict[str, Any]) -> List[str]:
  """Removes the outputs of KFP's own types, which the launcher fills; returns their names."""
  outputs = executor_input.get('outputs', {}).get('artifacts', {})
  dropped = [key for key, artifact_list in outputs.items()
             if any(_type_title(a.get('type', {})).startswith(KFP_TYPE_PREFIX)
                    for a in artifact_list.get('artifacts', []))]
  for key in dropped:
    del outputs[key]
  return dropped


def output_uris(executor_input: Dict[str, Any]) -> List[str]:
  return [artifact['uri']
          for artifact_list in executor_input.get('outputs', {}).get('artifacts', {}).values()
          for artifact in artifact_list.get('artifacts', [])]


def remove_folder_markers(uri: str) -> int:
  """Deletes every zero-byte `dir/` object at and under `uri`; returns how many.

  On GCS, TensorFlow deletes the object named `dir/` when asked to delete the file
  `dir/` (tsl/platform/cloud/gcs_file_system.cc, DeleteFile), and answers NotFound
  where a folder has no marker. A folder with files below it stays without one; an
  empty folder (a SavedModel's empty assets/, say) no longer exists once its marker
  is gone, as if the step had never created it.
  """
  if '://' not in uri:
    return 0  # A local folder has no marker objects.
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if not tf.io.gfile.exists(uri):
    return 0
  folders = [folder.rstrip('/') for folder, _, _ in tf.io.gfile.walk(uri)]
  removed = 0
  for folder in folders:
    try:
      tf.io.gfile.remove(folder + '/')
      removed += 1
    except tf.errors.NotFoundError:
      pass
  return removed


def _leave(status: int) -> None:
  """Runs Python's exit handlers (logs flushed), then exits without the C++ teardown.

  os._exit also skips joining non-daemon threads; the executor has returned, so
  whatever such a thread still had to do would not be part of the step's outputs.
  """
  atexit._run_exitfuncs()  # pylint: disable=protected-access
  sys.stdout.flush()
  sys.stderr.flush()
  os._exit(status)  # pylint: disable=protected-access


def main(parsed_args: Tuple[argparse.Namespace, List[str]]) -> None:
  args, beam_args = parsed_args
  executor_input = json.loads(args.json_serialized_invocation_args)
  inputs_spec = json.loads(args.json_serialized_inputs_spec_args or '{}')
  retype_inputs(executor_input, inputs_spec)
  for key in drop_launcher_outputs(executor_input):
    logging.info('Output %r is of a KFP type: left to the launcher', key)
  args.json_serialized_invocation_args = json.dumps(executor_input)

  # pylint: disable=g-import-not-at-top
  from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_run_executor
  # pylint: enable=g-import-not-at-top
  kubeflow_v2_run_executor.main((args, beam_args))
  for uri in output_uris(executor_input):
    count = remove_folder_markers(uri)
    if count:
      logging.info('Removed %d folder marker objects under %s', count, uri)
  _leave(0)


if __name__ == '__main__':
  app.run(main, flags_parser=lambda argv: parse_args(argv[1:]))
