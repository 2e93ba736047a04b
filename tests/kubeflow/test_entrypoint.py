"""The step entrypoint's repairs of the ExecutorInput, on the shapes the backend hands a step.

The shapes are those of tests/kubeflow/backend/ (KFP 2.5.0): the whole entrypoint
runs there, in test_backend_faults.py and test_pipeline_on_backend.py.
"""

import pytest

from mnist_tfx.kubeflow import entrypoint

EXAMPLES_TYPE = {'instanceSchema': 'title: tfx.Examples\ntype: object\n'}
SCHEMA_TYPE = {'instanceSchema': 'title: tfx.Schema\ntype: object\n'}
INPUTS_SPEC = {'artifacts': {'examples': {'artifactType': EXAMPLES_TYPE},
                             'schema': {'artifactType': SCHEMA_TYPE}}}


def _input(artifact_type=None):
  artifact = {'name': '42', 'uri': 'gs://b/x', 'metadata': {'display_name': 'examples'}}
  if artifact_type is not None:
    artifact['type'] = artifact_type
  return {'artifacts': [artifact]}


def test_inputs_without_a_type_get_the_declared_one():
  executor_input = {'inputs': {'artifacts': {
      'examples': _input({'instanceSchema': ''}),  # From ML Metadata (client.go:948).
      'schema': _input(),  # Through a parent DAG: no type at all (client.go:954-996).
  }}}
  entrypoint.retype_inputs(executor_input, INPUTS_SPEC)
  artifacts = executor_input['inputs']['artifacts']
  assert artifacts['examples']['artifacts'][0]['type'] == EXAMPLES_TYPE
  assert artifacts['schema']['artifacts'][0]['type'] == SCHEMA_TYPE


def test_a_typed_input_keeps_its_type():
  typed = {'schemaTitle': 'tfx.Examples'}
  executor_input = {'inputs': {'artifacts': {'examples': _input(typed)}}}
  entrypoint.retype_inputs(executor_input, INPUTS_SPEC)
  assert executor_input['inputs']['artifacts']['examples']['artifacts'][0]['type'] == typed


def test_an_untyped_input_that_the_spec_does_not_declare_is_refused():
  executor_input = {'inputs': {'artifacts': {'model': _input({'instanceSchema': ''})}}}
  with pytest.raises(ValueError, match="'model' has no type"):
    entrypoint.retype_inputs(executor_input, INPUTS_SPEC)


def test_outputs_of_kfp_types_are_left_to_the_launcher():
  executor_input = {'outputs': {'artifacts': {
      'examples': {'artifacts': [{'uri': 'gs://b/e', 'type': EXAMPLES_TYPE}]},
      'executor-logs': {'artifacts': [{'uri': 'gs://b/l',
                                       'type': {'schemaTitle': 'system.Artifact'}}]},
      'metrics': {'artifacts': [{'uri': 'gs://b/m',
                                 'type': {'instanceSchema': 'title: system.Metrics\n'}}]},
  }}}
  assert sorted(entrypoint.drop_launcher_outputs(executor_input)) == [
      'executor-logs', 'metrics']
  assert entrypoint.output_uris(executor_input) == ['gs://b/e']


def test_a_local_folder_has_no_markers(tmp_path):
  (tmp_path / 'Split-train').mkdir()
  assert entrypoint.remove_folder_markers(str(tmp_path)) == 0
  assert (tmp_path / 'Split-train').is_dir()


def test_markers_go_and_the_files_below_them_stay():
  """ram:// records a folder entry where GCS writes a `dir/` object (object_store.py)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tests.kubeflow.backend import object_store  # pylint: disable=g-import-not-at-top
  uri = 'ram://entrypoint-test/examples'
  tf.io.gfile.makedirs(uri + '/Split-train')
  with tf.io.gfile.GFile(uri + '/Split-train/data.gz', 'wb') as f:
    f.write(b'records')
  assert entrypoint.remove_folder_markers(uri) == 2  # examples/ and Split-train/.
  keys = {k: folder for k, folder in object_store.ram_keys().items()
          if k.startswith('entrypoint-test/examples')}
  assert keys == {'entrypoint-test/examples/Split-train/data.gz': False}


def test_an_executor_is_the_evaluators_only_when_its_module_is_loaded(monkeypatch):
  """is_evaluator asks sys.modules, so a step that never imported the Evaluator never does."""
  import sys  # pylint: disable=g-import-not-at-top
  import types  # pylint: disable=g-import-not-at-top
  monkeypatch.delitem(sys.modules, entrypoint.EVALUATOR_EXECUTOR_MODULE, raising=False)

  class Other:
    pass
  assert not entrypoint.is_evaluator(Other)
  assert entrypoint.EVALUATOR_EXECUTOR_MODULE not in sys.modules

  evaluator = types.ModuleType(entrypoint.EVALUATOR_EXECUTOR_MODULE)
  evaluator.Executor = type('Executor', (), {})
  monkeypatch.setitem(sys.modules, entrypoint.EVALUATOR_EXECUTOR_MODULE, evaluator)
  assert entrypoint.is_evaluator(type('Gated', (evaluator.Executor,), {}))
  assert not entrypoint.is_evaluator(Other)


def test_kfp_is_imported_without_its_client_and_the_variable_is_not_left_set():
  """In a fresh process: the step's kfp has pipeline_spec, not the SDK's client and DSL."""
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  code = ('import os, sys\n'
          'from mnist_tfx.kubeflow import entrypoint\n'
          'entrypoint.import_kfp_for_runtime()\n'
          'from kfp.pipeline_spec import pipeline_spec_pb2\n'
          'print(sorted(m for m in ("kfp.client", "kfp.dsl", "kubernetes") if m in sys.modules),'
          ' os.environ.get("_KFP_RUNTIME"))\n')
  result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          check=True)
  assert result.stdout.split('\n')[-2] == '[] None'
