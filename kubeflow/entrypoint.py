"""Every compiled step's command: TFX's Kubeflow V2 entrypoint, fitted to the open-source KFP.

TFX 1.16's `kubeflow_v2_run_executor` expects what Vertex AI Pipelines hands a
step. The open-source KFP backend (2.0 to 2.5 and its main branch) differs in
three ways that each stop a step; this module repairs them around TFX's
entrypoint, whose steps run_executor follows. tests/kubeflow/backend/ reproduces
the backend from its source and shows each fault with TFX's plain entrypoint.

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

run_executor does what TFX's entrypoint does without its imports of the Evaluator
(every TFX component and TFMA), which only the Evaluator's step needs and which
were most of every other step's start-up (kubeflow/README.md, "Step start-up").
"""

import argparse
import json
import logging
import os
import sys
from typing import Any, Dict, List, Tuple, Type

from absl import app
from absl.flags import argparse_flags
import yaml

from mnist_tfx.lib.process_exit import exit_now

# KFP's own artifact types (kfp/dsl/types/artifact_types.py): no TFX class stands behind them.
KFP_TYPE_PREFIX = 'system.'
# The module of TFX's Evaluator executor, which GatedEvaluator's subclasses.
EVALUATOR_EXECUTOR_MODULE = 'tfx.components.evaluator.executor'
# Set, kfp's __init__ leaves out the SDK's compile-time parts (kfp/__init__.py at 2.5.0).
KFP_RUNTIME = '_KFP_RUNTIME'


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


def is_evaluator(executor_cls: Type[Any]) -> bool:
  """Whether the executor is TFX's Evaluator's, asked without importing that executor.

  A class that subclasses Evaluator's executor has had its module imported (with TFMA
  and every TFX component); any other class needs neither, and must not pay for them.
  """
  evaluator = sys.modules.get(EVALUATOR_EXECUTOR_MODULE)
  return evaluator is not None and issubclass(executor_cls, evaluator.Executor)


def import_kfp_for_runtime() -> None:
  """Imports kfp as KFP's own steps do: without its client, compiler and DSL.

  kfp's __init__ imports those (with them the Kubernetes client, a few seconds)
  unless _KFP_RUNTIME is 'true', as KFP's lightweight components set it in their
  pods (kfp/dsl/component_factory.py). A step reads only kfp.pipeline_spec. The
  variable is set for this import alone, so the step's own processes never see it.
  """
  if 'kfp' in sys.modules:
    return
  previous = os.environ.get(KFP_RUNTIME)
  os.environ[KFP_RUNTIME] = 'true'
  try:
    import kfp  # pylint: disable=g-import-not-at-top,unused-import
  finally:
    if previous is None:
      del os.environ[KFP_RUNTIME]
    else:
      os.environ[KFP_RUNTIME] = previous


def run_executor(args: argparse.Namespace, beam_args: List[str]) -> None:
  """TFX 1.16's kubeflow_v2_run_executor._run_executor, step by step, importing less.

  TFX's module imports the Evaluator's executor at its top (every TFX component and
  TFMA, most of a step's start-up) only to ask, after Do, whether to turn the
  blessing's model ids into the backend's names; is_evaluator asks it for free. Its
  helpers come from entrypoint_utils, a copy of kubeflow_v2_entrypoint_utils, which
  imports the same at its top. Keep each step in the order and form of
  tfx/orchestration/kubeflow/v2/container/kubeflow_v2_run_executor.py at 1.16.0.
  """
  import_kfp_for_runtime()
  # pylint: disable=g-import-not-at-top
  from absl import logging as absl_logging
  from kfp.pipeline_spec import pipeline_spec_pb2
  from tfx.dsl.components.base import base_beam_executor
  from tfx.dsl.components.base import base_executor
  from tfx.dsl.io import fileio
  from tfx.orchestration.portable import outputs_utils
  from tfx.types import artifact_utils
  from tfx.types import standard_artifacts
  from tfx.types import value_artifact
  from tfx.utils import import_utils
  from google.protobuf import json_format
  from mnist_tfx.kubeflow import entrypoint_utils
  # pylint: enable=g-import-not-at-top
  absl_logging.set_verbosity(absl_logging.INFO)

  # Rehydrate inputs/outputs/exec_properties from the serialized metadata.
  executor_input = pipeline_spec_pb2.ExecutorInput()
  json_format.Parse(args.json_serialized_invocation_args, executor_input,
                    ignore_unknown_fields=True)
  inputs_spec = None
  if args.json_serialized_inputs_spec_args:
    inputs_spec = pipeline_spec_pb2.ComponentInputsSpec()
    json_format.Parse(args.json_serialized_inputs_spec_args, inputs_spec,
                      ignore_unknown_fields=True)

  inputs_dict = executor_input.inputs.artifacts
  outputs_dict = executor_input.outputs.artifacts
  inputs_parameter_value = executor_input.inputs.parameter_values
  inputs_parameter = executor_input.inputs.parameters
  outputs_parameters = executor_input.outputs.parameters

  task_root = os.path.dirname(executor_input.outputs.output_file)
  tmp_path = os.path.join(task_root, '.temp')
  task_unique_id = os.path.basename(task_root)

  if fileio.exists(executor_input.outputs.output_file):
    # A driver that updated the exec_properties left them in this file.
    with fileio.open(executor_input.outputs.output_file, 'rb') as output_meta_json:
      output_metadata = pipeline_spec_pb2.ExecutorOutput()
      json_format.Parse(output_meta_json.read(), output_metadata, ignore_unknown_fields=True)
      for k, v in output_metadata.parameter_values.items():
        inputs_parameter_value[k].CopyFrom(v)
      for k, v in output_metadata.parameters.items():
        inputs_parameter[k].CopyFrom(v)

  name_from_id = {}
  inputs = entrypoint_utils.parse_raw_artifact_dict(inputs_dict, name_from_id)
  outputs = entrypoint_utils.parse_raw_artifact_dict(outputs_dict, name_from_id)
  exec_properties = entrypoint_utils.parse_execution_properties(
      inputs_parameter_value, inputs_parameter, inputs_spec)
  absl_logging.info('Executor %s do: inputs: %s, outputs: %s, exec_properties: %s',
                    args.executor_class_path, inputs, outputs, exec_properties)
  executor_cls = import_utils.import_class_by_path(args.executor_class_path)
  if issubclass(executor_cls, base_beam_executor.BaseBeamExecutor):
    executor_context = base_beam_executor.BaseBeamExecutor.Context(
        beam_pipeline_args=beam_args, unique_id=task_unique_id, tmp_dir=tmp_path)
  else:
    executor_context = base_executor.BaseExecutor.Context(
        extra_flags=beam_args, unique_id=task_unique_id, tmp_dir=tmp_path)
  executor = executor_cls(executor_context)
  absl_logging.info('Starting executor')
  executor.Do(inputs, outputs, exec_properties)

  outputs_utils.tag_output_artifacts_with_version(outputs)

  # The blessing's model ids (ints in TFX) become the backend's artifact names.
  if is_evaluator(executor_cls):
    # pylint: disable=g-import-not-at-top
    from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_entrypoint_utils
    from tfx.types import standard_component_specs
    # pylint: enable=g-import-not-at-top
    if standard_component_specs.BLESSING_KEY in outputs:
      kubeflow_v2_entrypoint_utils.refactor_model_blessing(
          artifact_utils.get_single_instance(outputs[standard_component_specs.BLESSING_KEY]),
          name_from_id)

  # The output metadata file, which the launcher reads.
  metadata_uri = executor_input.outputs.output_file
  executor_output = pipeline_spec_pb2.ExecutorOutput()
  for k, v in entrypoint_utils.translate_executor_output(outputs, name_from_id).items():
    executor_output.artifacts[k].CopyFrom(v)

  for key in outputs_parameters.keys():
    if key not in outputs.keys():
      raise ValueError('All OutputParameters must have corresponding OutputValueArtifacts.')
    assert len(outputs[key]) == 1 and isinstance(
        outputs[key][0], value_artifact.ValueArtifact), (
            'Parameter should have one corresponding ValueArtifact.')
    artifact = outputs[key][0]
    if isinstance(artifact, standard_artifacts.String):
      executor_output.parameter_values[key].string_value = artifact.read()
    elif isinstance(artifact, (standard_artifacts.Float, standard_artifacts.Integer)):
      executor_output.parameter_values[key].number_value = artifact.read()
    elif isinstance(artifact, standard_artifacts.Boolean):
      executor_output.parameter_values[key].bool_value = artifact.read()
    else:
      raise ValueError('Only String, Float, Int, and Boolean ValueArtifacts are supported.')

  fileio.makedirs(os.path.dirname(metadata_uri))
  with fileio.open(metadata_uri, 'wb') as f:
    f.write(json_format.MessageToJson(executor_output))


def main(parsed_args: Tuple[argparse.Namespace, List[str]]) -> None:
  args, beam_args = parsed_args
  executor_input = json.loads(args.json_serialized_invocation_args)
  inputs_spec = json.loads(args.json_serialized_inputs_spec_args or '{}')
  retype_inputs(executor_input, inputs_spec)
  for key in drop_launcher_outputs(executor_input):
    logging.info('Output %r is of a KFP type: left to the launcher', key)
  args.json_serialized_invocation_args = json.dumps(executor_input)

  run_executor(args, beam_args)
  for uri in output_uris(executor_input):
    count = remove_folder_markers(uri)
    if count:
      logging.info('Removed %d folder marker objects under %s', count, uri)
  exit_now(0)  # The executor has returned: no teardown (lib/process_exit.py).


if __name__ == '__main__':
  app.run(main, flags_parser=lambda argv: parse_args(argv[1:]))
