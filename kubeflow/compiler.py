"""Compiles the pipeline for open-source Kubeflow Pipelines v2 on GKE (KubeflowV2DagRunner).

The wiring is pipeline.create_pipeline, as locally; only configuration differs:
gs:// paths, the image, caching off, the Trainer's GPU, and Beam's runner.
"""

import dataclasses
import os
from typing import List

import yaml

from mnist_tfx.kubeflow import configs as kubeflow_configs
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs

# kubeflow/Dockerfile copies the project here (its WORKDIR); compiled paths point into it.
IMAGE_PROJECT_DIR = '/mnist-tfx'
IMAGE_SCHEMA_FILE = IMAGE_PROJECT_DIR + '/pipeline/schema/schema.pbtxt'

# Every step's command: TFX's entrypoint, fitted to the open-source backend (entrypoint.py).
STEP_COMMAND = ['python', '-m', 'mnist_tfx.kubeflow.entrypoint']
GKE_ACCELERATOR_LABEL = 'cloud.google.com/gke-accelerator'
GPU_RESOURCE = 'nvidia.com/gpu'


def beam_args(config: configs.PipelineConfig,
              cluster: kubeflow_configs.KubeflowConfig) -> List[str]:
  """Beam options of every Beam-based step: none for the in-pod runner, or Dataflow's."""
  if cluster.beam_runner == 'DirectRunner':
    return list(configs.LOCAL_BEAM_ARGS)
  if cluster.beam_runner != 'DataflowRunner':
    raise UsageError(f'--beam-runner must be DirectRunner or DataflowRunner, '
                     f'not {cluster.beam_runner!r}')
  if not cluster.dataflow_project:
    raise UsageError('--beam-runner DataflowRunner needs --dataflow-project')
  return [
      '--runner=DataflowRunner',
      f'--project={cluster.dataflow_project}',
      f'--region={cluster.dataflow_region}',
      f'--temp_location={config.output_dir}/beam-temp',
      f'--machine_type={cluster.dataflow_machine_type}',
      f'--max_num_workers={cluster.dataflow_max_workers}',
      # Workers run our image too (it carries Beam's boot entrypoint), so
      # preprocessing_fn and the Evaluator's model code are there.
      f'--sdk_container_image={cluster.image}',
      '--experiments=use_runner_v2',
  ]


def compile_pipeline(config: configs.PipelineConfig,
                     cluster: kubeflow_configs.KubeflowConfig) -> str:
  """Writes the PipelineSpec YAML (schema 2.1.0) to cluster.package; returns its path."""
  if not cluster.image:
    raise UsageError('--image is required: the image built from kubeflow/Dockerfile')
  if not cluster.package.endswith('.yaml'):
    raise UsageError(f'--package must end in .yaml (a bare PipelineSpec), not {cluster.package!r}')
  # pylint: disable=g-import-not-at-top
  # The pipeline (hence tfx.components) first: importing the runner first is a
  # circular import inside TFX 1.16.
  from mnist_tfx.pipeline import pipeline
  from kfp.pipeline_spec import pipeline_spec_pb2
  from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner
  # pylint: enable=g-import-not-at-top

  config = dataclasses.replace(config, schema_file=IMAGE_SCHEMA_FILE,
                               beam_pipeline_args=beam_args(config, cluster))
  # Caching off: a schedule must read new data under unchanged parameters, and
  # kfp 2.5 applies a run's enable_caching only to packages it submits itself,
  # not to uploaded pipeline versions.
  tfx_pipeline = pipeline.create_pipeline(config, enable_cache=False)

  resources = pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec(
      cpu_limit=cluster.trainer_cpu, memory_limit=cluster.trainer_memory_gb)
  if cluster.gpu_count > 0:
    resources.accelerator.type = GPU_RESOURCE
    resources.accelerator.count = cluster.gpu_count
  trainer = next(c for c in tfx_pipeline.components if c.id == ComponentId.TRAINER)
  trainer.with_platform_config(resources)

  package = os.path.abspath(cluster.package)
  os.makedirs(os.path.dirname(package), exist_ok=True)  # outputs/kubeflow/ by default.
  runner = kubeflow_v2_dag_runner.KubeflowV2DagRunner(
      kubeflow_v2_dag_runner.KubeflowV2DagRunnerConfig(
          display_name=configs.PIPELINE_NAME,
          default_image=cluster.image,
          # The open-source backend accepts only schema 2.1.0; TFX writes 2.0.0 unless asked.
          use_pipeline_spec_2_1=True),
      output_dir=os.path.dirname(package),
      output_filename=os.path.basename(package))
  runner.run(tfx_pipeline)
  with open(package) as f:
    spec = yaml.safe_load(f)
  for executor in spec['deploymentSpec']['executors'].values():
    executor['container']['command'] = list(STEP_COMMAND)
  documents = [spec]
  if cluster.gpu_count > 0:
    documents.append(_gpu_placement(spec, cluster.gpu_type))
  with open(package, 'w') as f:
    yaml.safe_dump_all(documents, f, sort_keys=True)
  return package


def _gpu_placement(spec, gpu_type: str):
  """The Kubernetes platform document that pins the Trainer to the GPU pool.

  The node selector picks the pool with that GPU type; the toleration lets the pod
  onto GPU nodes, which GKE taints so that nothing else lands there.
  """
  executor_label = spec['components'][ComponentId.TRAINER]['executorLabel']
  return {'platforms': {'kubernetes': {'deploymentSpec': {'executors': {
      executor_label: {
          'nodeSelector': {'labels': {GKE_ACCELERATOR_LABEL: gpu_type}},
          'tolerations': [{'key': GPU_RESOURCE, 'operator': 'Exists',
                           'effect': 'NoSchedule'}],
      }}}}}}
