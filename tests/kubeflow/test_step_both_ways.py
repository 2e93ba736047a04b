"""A compiled step run both ways on the same ExecutorInput: TFX's entrypoint, and ours.

TFX 1.16's kubeflow_v2_run_executor (with its import of the Evaluator) and
mnist_tfx.kubeflow.entrypoint (its run_executor, without) each run the compiled
command's arguments, one after the other, on the same paths. The output metadata
(as JSON) and every file the step wrote (the records of a TFRecord file) must be
the same. The copied helpers (kubeflow/entrypoint_utils.py) are pinned to TFX's
own, and the Evaluator's step is told apart as TFX tells it.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from typing import Any, Dict, List

import pytest

from mnist_tfx.kubeflow import entrypoint
from tests.kubeflow.backend import launcher
from tests.support import idx_files
from tests.support import zygote

pytestmark = pytest.mark.full

OURS = ['python', '-m', 'mnist_tfx.kubeflow.entrypoint']
# The modules only the Evaluator's step needs; ours must not import them for the others.
EVALUATOR_ONLY = ('tfx.components.evaluator.executor', 'tensorflow_model_analysis')
# Our steps whose executors need neither TFDV nor TFMA (ImportSchemaGen, the eighth such
# step, runs TFX's own executor, which imports both).
LIGHT_STEPS = ('IdxExampleGen', 'StartingModel', 'LabelCheck', 'ServedModel', 'SpanTest',
               'Pusher', 'RunReport')
# What a light step must not import: TFDV, TFMA, and every TFX component at once
# (tfx/components/__init__.py imports them all, the Evaluator and TFMA among them).
HEAVY = ('tensorflow_data_validation', 'tensorflow_model_analysis', 'tfx.components')


def _executor_input(spec, task: str, root: str, parameters: Dict[str, Any],
                    inputs: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
  """What a driver hands the step: the compiled parameters, typed inputs, outputs under root."""
  task_spec = spec['root']['dag']['tasks'][task]
  component = spec['components'][task_spec['componentRef']['name']]
  values = {name: value['runtimeValue']['constant']
            for name, value in task_spec['inputs'].get('parameters', {}).items()}
  values.update(parameters)
  outputs = {name: {'artifacts': [{'uri': os.path.join(root, task, name),
                                   'type': definition['artifactType']}]}
             for name, definition in component['outputDefinitions']['artifacts'].items()}
  return {'inputs': {'parameterValues': values, 'artifacts': inputs},
          'outputs': {'artifacts': outputs,
                      'outputFile': os.path.join(root, task, 'output_metadata.json')}}


def _command(spec, task: str, entry: List[str], executor_input: Dict[str, Any]) -> List[str]:
  component = spec['components'][spec['root']['dag']['tasks'][task]['componentRef']['name']]
  container = spec['deploymentSpec']['executors'][component['executorLabel']]['container']
  args = [json.dumps(executor_input) if arg == '{{$}}' else arg for arg in container['args']]
  return [sys.executable] + entry[1:] + args


def _snapshot(root: str, metadata_file: str) -> Dict[str, str]:
  """{path under root: SHA-256} of every file but the output metadata.

  A TFRecord file of tf.Examples counts by its records, each serialized
  deterministically: protobuf writes a map's entries (an Example's features) in an
  order that changes from one process to the next.
  """
  files = {}
  for folder, _, names in os.walk(root):
    for name in names:
      path = os.path.join(folder, name)
      if path == metadata_file:
        continue
      digest = hashlib.sha256()
      if name.startswith('data_tfrecord-'):
        for record in _examples(path):
          digest.update(record)
      else:
        with open(path, 'rb') as f:
          digest.update(f.read())
      files[os.path.relpath(path, root)] = digest.hexdigest()
  return files


def _examples(path: str) -> List[bytes]:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  records = tf.data.TFRecordDataset(path, compression_type='GZIP').as_numpy_iterator()
  return [tf.train.Example.FromString(record).SerializeToString(deterministic=True)
          for record in records]


def _run(spec, task: str, entry: List[str], executor_input: Dict[str, Any], root: str,
         warm: bool = False):
  """(output metadata, {path: SHA-256}, modules imported) of one way; root left as it wrote it.

  Fresh, with -X importtime: which modules it imported, on stderr; nothing else changes.
  warm: forked with TFX imported (tests/support/zygote.py), where the imports are not
  in question; nothing is said of them.
  """
  shutil.rmtree(root, ignore_errors=True)
  env = dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2')
  env.pop('PYTEST_XDIST_WORKER', None)
  command = _command(spec, task, entry, executor_input)
  if not warm:
    result = subprocess.run([sys.executable, '-X', 'importtime', *command[1:]], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            check=False)
  else:
    result = zygote.WarmProcess(*zygote.split_python_m(command), env=env).result(timeout=600)
  assert result.returncode == 0, result.stderr[-4000:]
  metadata_file = executor_input['outputs']['outputFile']
  with open(metadata_file) as f:
    metadata = json.load(f)  # Its Structs' keys, too, come in either order.
  imported = {line.rsplit('|', 1)[1].strip() for line in result.stderr.splitlines()
              if line.startswith('import time:')}
  return metadata, _snapshot(root, metadata_file), imported


def _both_ways(spec, task, executor_input, root, tfx_warm=False):
  tfx = _run(spec, task, launcher.TFX_ENTRYPOINT, executor_input, root, warm=tfx_warm)
  ours = _run(spec, task, OURS, executor_input, root)
  return tfx, ours


@pytest.fixture(scope='module')
def example_gen(standin_spec, tiny_data_root, tmp_path_factory):
  """(tfx's way, ours, executor input) of IdxExampleGen on the tiny data; ours' outputs kept."""
  spec, _ = standin_spec
  root = str(tmp_path_factory.mktemp('both_ways'))
  executor_input = _executor_input(spec, 'IdxExampleGen', root,
                                   {'data_root': str(tiny_data_root)}, {})
  tfx, ours = _both_ways(spec, 'IdxExampleGen', executor_input, root)
  return tfx, ours, executor_input


def test_idx_example_gen_writes_the_same_records_and_metadata(example_gen):
  (tfx_metadata, tfx_files, tfx_imported), (metadata, files, imported), _ = example_gen
  assert metadata == tfx_metadata
  examples = metadata['artifacts']['examples']['artifacts'][0]['metadata']
  assert json.loads(examples['example_counts']) == {'train': idx_files.TINY_TRAIN,
                                                     'eval': idx_files.TINY_EVAL}
  assert files == tfx_files
  assert {'IdxExampleGen/examples/Split-train/data_tfrecord-00000-of-00001.gz',
          'IdxExampleGen/examples/Split-eval/data_tfrecord-00000-of-00001.gz'} <= set(files)
  assert all(module in tfx_imported for module in EVALUATOR_ONLY)
  assert not any(module in imported for module in EVALUATOR_ONLY)


def test_starting_model_reads_a_typed_input_the_same_way(standin_spec, example_gen,
                                                         tmp_path):
  """An input artifact with properties and custom properties (the examples above), named
  as the backend names it; no model served."""
  spec, _ = standin_spec
  _, (metadata, _, _), gen_input = example_gen
  examples = dict(metadata['artifacts']['examples']['artifacts'][0], name='7')
  examples['type'] = gen_input['outputs']['artifacts']['examples']['artifacts'][0]['type']
  root = str(tmp_path / 'steps')
  executor_input = _executor_input(
      spec, 'StartingModel', root, {'serving_dir': str(tmp_path / 'serving')},
      {'examples': {'artifacts': [examples]}})
  (tfx_metadata, tfx_files, _), (metadata, files, imported) = _both_ways(
      spec, 'StartingModel', executor_input, root, tfx_warm=True)  # Its imports: above.
  assert metadata == tfx_metadata and metadata['artifacts'].keys() == {'served'}
  assert files == tfx_files
  assert not any(module in imported for module in EVALUATOR_ONLY)


def test_the_light_steps_import_neither_tfdv_tfma_nor_every_component(standin_spec):
  """Our entrypoint and each light step's compiled executor class, all imported in one fresh
  interpreter: none of them pulls in what only the other steps need."""
  spec, _ = standin_spec
  paths = []
  for task in LIGHT_STEPS:
    component = spec['components'][spec['root']['dag']['tasks'][task]['componentRef']['name']]
    args = spec['deploymentSpec']['executors'][component['executorLabel']]['container']['args']
    paths.append(args[args.index('--executor_class_path') + 1])
  assert all(path.startswith('mnist_tfx.') for path in paths), paths
  script = (f'import sys\n'
            f'from mnist_tfx.kubeflow import entrypoint, entrypoint_utils\n'
            f'from tfx.utils import import_utils\n'
            f'for path in {paths!r}:\n'
            f'  import_utils.import_class_by_path(path)\n'
            f'print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n')
  env = dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2')
  result = subprocess.run([sys.executable, '-c', script], env=env, cwd=idx_files.PROJECT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          check=False)
  assert result.returncode == 0, result.stderr[-4000:]
  assert result.stdout.strip() == '[]'


def test_the_copied_helpers_are_tfxs():
  """kubeflow/entrypoint_utils.py against TFX 1.16's module, on artifacts of every kind
  of property and on parameters of each type."""
  # pylint: disable=g-import-not-at-top
  from kfp.pipeline_spec import pipeline_spec_pb2
  from google.protobuf import json_format
  import tfx
  from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_entrypoint_utils as theirs
  from tfx.types import standard_component_specs
  from mnist_tfx.kubeflow import entrypoint_utils as ours
  # pylint: enable=g-import-not-at-top
  assert tfx.__version__ == '1.16.0'
  assert ours.INPUT_BASE_KEY == standard_component_specs.INPUT_BASE_KEY

  executor_input = json_format.ParseDict({'inputs': {
      'artifacts': {
          'examples': {'artifacts': [{
              'name': '12', 'uri': '/x/examples',
              'type': {'instanceSchema': 'title: tfx.Examples\ntype: object\n'},
              'metadata': {'span': 3.0, 'split_names': '["train"]', 'version': 'odd',
                           'custom:span': 'a clash', 'counts': {'train': 2.0},
                           'tags': ['a', 'b'], 'flag': True}}]},
          'model': {'artifacts': [{'name': 'projects/p/artifacts/9', 'uri': '/x/model',
                                   'type': {'schemaTitle': 'tfx.Model'}}]},
          'file': {'artifacts': [{'uri': '/x/file', 'type': {
              'instanceSchema': 'title: tfx.File\ntype: object\n'}}]},
      },
      'parameterValues': {'input_base_uri': '/data', 'epochs': 2.0, 'rate': 0.5,
                          'name': 'n', 'on': True, 'listed': [1.0, 'a']},
  }}, pipeline_spec_pb2.ExecutorInput())
  inputs_spec = json_format.ParseDict({'parameters': {
      'epochs': {'parameterType': 'NUMBER_INTEGER'}, 'rate': {'parameterType': 'NUMBER_DOUBLE'},
  }}, pipeline_spec_pb2.ComponentInputsSpec())
  artifacts = executor_input.inputs.artifacts

  names, their_names = {}, {}
  parsed = ours.parse_raw_artifact_dict(artifacts, names)
  their_parsed = theirs.parse_raw_artifact_dict(artifacts, their_names)
  assert names == their_names and len(names) == 2
  assert {k: [(type(a), a.mlmd_artifact) for a in v] for k, v in parsed.items()} == {
      k: [(type(a), a.mlmd_artifact) for a in v] for k, v in their_parsed.items()}
  for spec in (inputs_spec, None):
    assert ours.parse_execution_properties(
        executor_input.inputs.parameter_values, executor_input.inputs.parameters, spec) == \
        theirs.parse_execution_properties(
            executor_input.inputs.parameter_values, executor_input.inputs.parameters, spec)
  assert ours.translate_executor_output(parsed, names) == theirs.translate_executor_output(
      their_parsed, their_names)


def test_the_evaluators_step_is_told_apart_as_tfx_tells_it():
  """is_evaluator against TFX's issubclass(executor_cls, evaluator_executor.Executor)."""
  # pylint: disable=g-import-not-at-top
  from tfx.components.evaluator import executor as evaluator_executor
  from tfx.components.statistics_gen import executor as statistics_executor
  from tfx.utils import import_utils
  # pylint: enable=g-import-not-at-top
  classes = [import_utils.import_class_by_path(path) for path in (
      'mnist_tfx.components.gated_evaluator.executor.Executor',
      'mnist_tfx.components.starting_model.component.StartingModel_Executor',
      'mnist_tfx.components.atomic_pusher.executor.Executor')]
  classes += [evaluator_executor.Executor, statistics_executor.Executor]
  told = {cls: entrypoint.is_evaluator(cls) for cls in classes}
  assert told == {cls: issubclass(cls, evaluator_executor.Executor) for cls in classes}
  assert sum(told.values()) == 2  # GatedEvaluator's and TFX's own.
