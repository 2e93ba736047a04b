"""The compiled Kubeflow spec, checked fact by fact: no cluster needed."""

import dataclasses
import importlib.util
import json
import os

import kfp.components
from kfp.pipeline_spec import pipeline_spec_pb2
import pytest
import yaml

from google.protobuf import json_format

from mnist_tfx.app import cli
from mnist_tfx.kubeflow import compiler
from mnist_tfx.kubeflow import configs as kubeflow_configs
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs
from tests.support.compiled import DATA_ROOT
from tests.support.compiled import IMAGE
from tests.support.compiled import OUTPUT_DIR

def _compile(tmp_path, *flags):
  package = str(tmp_path / 'mnist-tfx.yaml')
  status = cli.main(['kubeflow', 'compile', '--image', IMAGE, '--data-root', DATA_ROOT,
                     '--output-dir', OUTPUT_DIR, '--package', package, *flags])
  assert status == cli.EXIT_OK
  with open(package) as f:
    documents = list(yaml.safe_load_all(f))
  return package, documents


@pytest.fixture
def compiled(compiled_spec):
  """The session's spec (tests/support/compiled.py): two L4 GPUs, 8 cores, 30 GB."""
  return compiled_spec


def _executors(spec):
  return spec['deploymentSpec']['executors']


def test_schema_2_1_0_and_the_local_pipelines_components(compiled):
  from mnist_tfx.pipeline import pipeline  # pylint: disable=g-import-not-at-top
  _, (spec, _) = compiled
  assert spec['schemaVersion'] == '2.1.0'
  local = [c.id for c in pipeline.create_pipeline(configs.PipelineConfig()).components]
  assert sorted(spec['root']['dag']['tasks']) == sorted(local)
  assert sorted(spec['components']) == sorted(local)


def test_the_trainer_and_only_the_trainer_asks_for_gpus(compiled):
  _, (spec, platform) = compiled
  trainer_label = spec['components']['Trainer']['executorLabel']
  resources = {label: e['container'].get('resources') for label, e in _executors(spec).items()}
  assert resources.pop(trainer_label) == {
      'accelerator': {'type': 'nvidia.com/gpu', 'count': '2'},
      'cpuLimit': 8.0, 'memoryLimit': 30.0}
  assert set(resources.values()) == {None}
  placement = platform['platforms']['kubernetes']['deploymentSpec']['executors']
  assert placement == {trainer_label: {
      'nodeSelector': {'labels': {'cloud.google.com/gke-accelerator': 'nvidia-l4'}},
      'tolerations': [{'key': 'nvidia.com/gpu', 'operator': 'Exists',
                       'effect': 'NoSchedule'}]}}


def test_every_step_runs_the_configured_image_through_our_entrypoint(compiled):
  _, (spec, _) = compiled
  for executor in _executors(spec).values():
    assert list(executor) == ['container']  # No importer, resolver or driver steps.
    container = executor['container']
    assert container['image'] == IMAGE
    assert container['command'] == ['python', '-m', 'mnist_tfx.kubeflow.entrypoint']
    assert '--json_serialized_inputs_spec_args' in container['args']
    assert 'driver' not in ' '.join(container['args'])


def test_runtime_paths_are_gs_and_nothing_points_at_this_machine(compiled):
  package, (spec, _) = compiled
  tasks = spec['root']['dag']['tasks']
  def constant(task, name):
    return tasks[task]['inputs']['parameters'][name]['runtimeValue']['constant']
  assert constant('IdxExampleGen', 'data_root') == DATA_ROOT
  assert constant('ServedModel', 'serving_dir') == OUTPUT_DIR + '/serving'
  assert constant('StartingModel', 'serving_dir') == OUTPUT_DIR + '/serving'
  # The Trainer starts from StartingModel's copy, and LabelCheck reads with it.
  for task, key in (('Trainer', 'base_model'), ('LabelCheck', 'served')):
    assert tasks[task]['inputs']['artifacts'][key]['taskOutputArtifact'] == {
        'producerTask': 'StartingModel', 'outputArtifactKey': 'served'}
  assert constant('LabelCheck', 'margin') == configs.PipelineConfig.label_agreement_margin
  push = json.loads(constant('Pusher', 'push_destination'))
  assert push['filesystem']['base_directory'] == OUTPUT_DIR + '/serving'
  assert constant('ImportSchemaGen', 'schema_file') == compiler.IMAGE_SCHEMA_FILE
  # Retraining's settings travel with the spec: the span window and the drift thresholds.
  assert constant('IdxExampleGen', 'span_window') == 1
  assert constant('DataGate', 'label_drift') == configs.PipelineConfig.label_drift
  assert constant('DataGate', 'pixel_drift') == configs.PipelineConfig.pixel_drift
  with open(package) as f:
    text = f.read()
  assert configs.SCHEMA_PATH.rsplit('/pipeline/', 1)[0] not in text


def test_caching_is_compiled_off_so_each_run_reads_new_data(compiled):
  _, (spec, _) = compiled
  for task in spec['root']['dag']['tasks'].values():
    # Absent cachingOptions is enableCache false, the proto default the backend reads.
    assert not task.get('cachingOptions', {}).get('enableCache', False)


def test_the_kfp_sdk_loads_the_spec_with_its_platform_document(compiled):
  package, _ = compiled
  component = kfp.components.load_component_from_file(package)
  assert component.name == configs.PIPELINE_NAME
  assert list(component.platform_spec.platforms) == ['kubernetes']


def _kubernetes_executor_config():
  """kfp-kubernetes 1.4.0's proto (KFP 2.5.0's), set beside the venv by bin/setup."""
  path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
      __file__)))), '.venv', 'kfp-kubernetes', 'kubernetes_executor_config_pb2.py')
  spec = importlib.util.spec_from_file_location('kubernetes_executor_config_pb2', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.KubernetesExecutorConfig


def test_both_documents_parse_strictly_against_the_backends_protos(compiled):
  """Unknown fields are errors here; the backend would drop them silently.

  The driver reads each executor's Kubernetes config with AllowUnknownFields
  (backend/src/common/util/json.go:72 at 2.5.0, called from cmd/driver/main.go:240),
  so a misspelt toleration would leave the Trainer off the GPU pool without a word.
  """
  _, (spec, platform) = compiled
  json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec())
  json_format.ParseDict(platform, pipeline_spec_pb2.PlatformSpec())
  config_class = _kubernetes_executor_config()
  executors = platform['platforms']['kubernetes']['deploymentSpec']['executors']
  for executor in executors.values():
    config = json_format.ParseDict(executor, config_class())
    assert config.tolerations[0].key == 'nvidia.com/gpu'
    assert dict(config.node_selector.labels) == {
        'cloud.google.com/gke-accelerator': 'nvidia-l4'}
    misspelt = dict(executor, toleration=executor['tolerations'])
    with pytest.raises(json_format.ParseError, match='toleration'):
      json_format.ParseDict(misspelt, config_class())


def test_without_gpus_there_are_no_accelerator_and_no_placement(tmp_path):
  _, documents = _compile(tmp_path, '--gpu-count', '0')
  assert len(documents) == 1
  trainer = _executors(documents[0])['Trainer_executor']['container']
  assert 'accelerator' not in trainer['resources']


def test_dataflow_runner_arguments():
  config = configs.PipelineConfig(data_root=DATA_ROOT, output_dir=OUTPUT_DIR)
  cluster = kubeflow_configs.KubeflowConfig(image=IMAGE, beam_runner='DataflowRunner',
                                   dataflow_project='my-project')
  args = compiler.beam_args(config, cluster)
  assert '--runner=DataflowRunner' in args
  assert f'--temp_location={OUTPUT_DIR}/beam-temp' in args
  assert f'--sdk_container_image={IMAGE}' in args
  with pytest.raises(UsageError, match="--dataflow-project"):
    compiler.beam_args(config, dataclasses.replace(cluster, dataflow_project=''))


def test_local_paths_and_a_missing_image_are_refused_with_one_line(tmp_path, capsys):
  package = str(tmp_path / 'p.yaml')
  assert cli.main(['kubeflow', 'compile', '--image', IMAGE, '--data-root', 'data/mnist',
                   '--output-dir', OUTPUT_DIR, '--package', package]) == cli.EXIT_BAD_OPTION
  assert capsys.readouterr().err.strip() == (
      "error: --data-root 'data/mnist': must be a gs:// path on Kubeflow (the pods share no "
      'disk, only the bucket)')
  assert cli.main(['kubeflow', 'compile', '--data-root', DATA_ROOT, '--output-dir', OUTPUT_DIR,
                   '--package', package]) == cli.EXIT_BAD_OPTION
  assert capsys.readouterr().err.startswith('error: missing --image (the image built from '
                                            'kubeflow/Dockerfile')
  assert not os.listdir(tmp_path)
