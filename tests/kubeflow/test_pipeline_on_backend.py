"""The whole compiled pipeline on the backend stand-in: every step, in order, pushes a model.

Each step is its compiled command in a process of its own (a pod forked with its
libraries imported: tests/support/zygote.py), handed what the KFP 2.5.0
driver hands it and wrapped in what its launcher does (tests/kubeflow/backend/),
on the tiny data in a bucket that keeps folder markers as GCS does. So every step
meets each of the backend's faults that test_backend_faults.py shows with TFX's plain
entrypoint, and gets past it with ours: the executor-logs output (PUBLISH_LOGS on),
inputs typed {instanceSchema: ""} from ML Metadata, and the download of inputs that
an earlier step wrote through TensorFlow's GCS layer; and each step's interpreter is
set to abort in its teardown, as TensorFlow has been seen to.
"""

import json

import pytest

from mnist_tfx.lib import contracts
from mnist_tfx.lib import serving_dir
from tests.kubeflow.backend import launcher
from tests.kubeflow.backend import object_store

pytestmark = pytest.mark.full


@pytest.fixture(scope='module')
def finished_run(tmp_path_factory, tiny_data_root, standin_spec):
  """(run, {task: outcome}, config) of the compiled pipeline, stopped at the first failed step."""
  out = tmp_path_factory.mktemp('kfp_pipeline')
  spec, config = standin_spec
  bucket = object_store.Bucket(out / 'bucket.sqlite')
  object_store.upload_folder(bucket, str(tiny_data_root), config.data_root[len(object_store.RAM):])
  run = launcher.Run(spec, bucket, config.pipeline_root, str(out / 'pods'),
                     env={'KFP_STANDIN_ABORT_AT_EXIT': '1'})
  outcomes = {}
  for task in launcher.topological_order(spec):
    outcomes[task] = launcher.run_task(run, task)
    if not outcomes[task].ok:
      break
  return run, outcomes, config


def test_every_step_completes_in_the_compiled_order(finished_run):
  run, outcomes, _ = finished_run
  for task, outcome in outcomes.items():
    assert outcome.ok, f'{task}: {outcome.error}\n{outcome.output[-4000:]}'
    assert 'pure virtual method called' not in outcome.output, task  # Left before teardown.
  assert len(outcomes) == len(run.spec['root']['dag']['tasks'])
  # Every input came back from ML Metadata without its type, as the 2.5.0 driver hands it.
  examples = outcomes['StatisticsGen'].executor_input['inputs']['artifacts']['examples']
  assert examples['artifacts'][0]['type'] == {'instanceSchema': ''}


def test_no_folder_marker_is_left_under_any_output(finished_run):
  run, outcomes, _ = finished_run
  for task, outcome in outcomes.items():
    for key, artifact_list in outcome.executor_input['outputs']['artifacts'].items():
      uri = artifact_list['artifacts'][0]['uri']
      assert not run.bucket.markers(uri[len(object_store.RAM):]), (task, key)


def test_the_pushed_model_is_whole_in_the_serving_directory(finished_run):
  run, outcomes, config = finished_run
  assert outcomes['Pusher'].ok
  pushed = run.metadata.artifacts[run.metadata.outputs['Pusher']['pushed_model']]
  assert pushed.custom_properties['pushed'] == ('double', 1.0)
  version = pushed.custom_properties['pushed_version'][1]
  # The bucket as a pod sees it: every file of the version against its manifest.
  object_store.load_into_ram(run.bucket)
  assert serving_dir.versions(config.serving_dir) == [version]
  assert serving_dir.problem(config.serving_dir, version) is None
  # The canary ran inside the Pusher's step, on the pod's disk, before the bucket saw it.
  verdict = json.loads(pushed.custom_properties[contracts.Property.CANARY][1])
  assert verdict['passed'] and verdict['digits'] == 32, verdict
  assert contracts.File.WARMUP_REQUESTS in serving_dir.manifest(
      f'{config.serving_dir}/{version}')


def test_each_steps_logs_are_published_and_the_report_saw_the_push(finished_run):
  run, outcomes, _ = finished_run
  for task in outcomes:
    logs = run.metadata.artifacts[run.metadata.outputs[task]['executor-logs']]
    # The launcher filled executor-logs with the step's output and recorded it.
    assert run.bucket.get(logs.uri[len(object_store.RAM):]) == outcomes[task].output.encode(), task
  report = run.metadata.artifacts[run.metadata.outputs['RunReport']['report']]
  page = run.bucket.get(report.custom_properties['page_path'][1][len(object_store.RAM):])
  # The report read the Pusher's properties after their trip through ML Metadata as doubles.
  pushed = run.metadata.artifacts[run.metadata.outputs['Pusher']['pushed_model']]
  assert f"Pushed as version {pushed.custom_properties['pushed_version'][1]}".encode() in page
