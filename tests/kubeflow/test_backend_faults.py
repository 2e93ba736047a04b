"""Each way the open-source KFP backend stops TFX's plain entrypoint.

The backend stand-in (tests/kubeflow/backend/) runs a compiled step as the 2.5.0
driver and launcher do. With TFX's own entrypoint as the command, each of the
backend's three faults shows the backend's error. The fourth test injects a crash
at interpreter exit. With the compiled command (kubeflow/entrypoint.py), every step
meets all four and completes: the whole pipeline in test_pipeline_on_backend.py.
"""

import dataclasses

import pytest

from tests.kubeflow.backend import launcher
from tests.kubeflow.backend import object_store

pytestmark = pytest.mark.full


def _run(standin_spec, tmp_path, data_root, **settings) -> launcher.Run:
  spec, config = standin_spec
  tmp_path.mkdir(exist_ok=True)
  bucket = object_store.Bucket(tmp_path / 'bucket.sqlite')
  object_store.upload_folder(bucket, str(data_root), config.data_root[len(object_store.RAM):])
  return launcher.Run(spec, bucket, config.pipeline_root, str(tmp_path / 'pods'), **settings)


@pytest.fixture(scope='module')
def upstream(standin_spec, tmp_path_factory, tiny_data_root):
  """A run whose first two steps ran with our entrypoint: examples and schema, no markers."""
  run = _run(standin_spec, tmp_path_factory.mktemp('upstream'), tiny_data_root,
             publish_logs=False)
  for task in ('IdxExampleGen', 'ImportSchemaGen'):
    outcome = launcher.run_task(run, task)
    assert outcome.ok, outcome.output[-3000:]
    for key in outcome.executor_input['outputs']['artifacts']:
      assert not _markers_under(run, _uri(outcome, key)), (task, key)
  return run


def _uri(outcome: launcher.Outcome, key: str) -> str:
  return outcome.executor_input['outputs']['artifacts'][key]['artifacts'][0]['uri']


def _markers_under(run: launcher.Run, uri: str):
  return run.bucket.markers(uri[len(object_store.RAM):])


def test_executor_logs_output_stops_tfxs_entrypoint_at_start(
    standin_spec, tmp_path, tiny_data_root):
  """2.5.0 with PUBLISH_LOGS on (its manifests' setting) adds a system.Artifact output."""
  plain = _run(standin_spec, tmp_path / 'plain', tiny_data_root,
               command=launcher.TFX_ENTRYPOINT)
  outcome = launcher.run_task(plain, 'ImportSchemaGen')
  assert outcome.returncode == 1
  assert 'ImportError: Could not import system.Artifact' in outcome.output
  assert outcome.error == 'failed to execute component: exit status 1'


def test_folder_markers_stop_the_next_steps_download(standin_spec, tmp_path, tiny_data_root):
  plain = _run(standin_spec, tmp_path, tiny_data_root, publish_logs=False,
               command=launcher.TFX_ENTRYPOINT)
  examples = launcher.run_task(plain, 'IdxExampleGen')
  assert examples.ok, examples.output[-3000:]
  assert _markers_under(plain, _uri(examples, 'examples'))
  assert launcher.run_task(plain, 'ImportSchemaGen').ok
  outcome = launcher.run_task(plain, 'StatisticsGen')
  # The launcher fails before the step's command starts (DownloadBlob).
  assert outcome.returncode == 0 and not outcome.output
  assert outcome.error.startswith('failed to execute component: failed to download input artifact')
  assert ': mkdir ' in outcome.error and outcome.error.endswith(': not a directory')


def test_untyped_inputs_stop_tfxs_entrypoint(upstream, tmp_path):
  """Inputs come back from ML Metadata typed {instanceSchema: ""}: TFX's type lookup fails."""
  plain = dataclasses.replace(upstream, command=launcher.TFX_ENTRYPOINT,
                              pods_dir=str(tmp_path / 'pods'))
  outcome = launcher.run_task(plain, 'StatisticsGen')
  examples = outcome.executor_input['inputs']['artifacts']['examples']['artifacts'][0]
  assert examples['type'] == {'instanceSchema': ''}
  assert examples['name'] == str(upstream.metadata.outputs['IdxExampleGen']['examples'])
  assert "AttributeError: 'NoneType' object has no attribute 'get'" in outcome.output
  assert outcome.returncode == 1


def test_a_crash_at_interpreter_exit_fails_tfxs_entrypoint(
    standin_spec, tmp_path, tiny_data_root):
  """Fault injection, not the backend: an abort in the interpreter's teardown, after the
  exit handlers, where kfp-operator reported TensorFlow's "pure virtual method called"."""
  abort = {'KFP_STANDIN_ABORT_AT_EXIT': '1'}
  plain = _run(standin_spec, tmp_path / 'plain', tiny_data_root, publish_logs=False,
               command=launcher.TFX_ENTRYPOINT, env=abort)
  outcome = launcher.run_task(plain, 'ImportSchemaGen')
  assert outcome.returncode == -6  # SIGABRT, after the output metadata was written.
  assert outcome.error == 'failed to execute component: signal: aborted'
  assert 'pure virtual method called' in outcome.output
