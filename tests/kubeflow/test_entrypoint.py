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
