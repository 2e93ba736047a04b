"""How the pipeline runs on Kubeflow Pipelines on GKE: the compile's own configuration.

Paths stay in PipelineConfig (gs:// there); the command line makes one flag per field.
"""

import dataclasses

from mnist_tfx.pipeline import configs


@dataclasses.dataclass
class KubeflowConfig:
  """How the pipeline runs on Kubeflow Pipelines on GKE; paths stay in PipelineConfig (gs://)."""
  image: str = configs.field(
      '', 'container image built from kubeflow/Dockerfile; every step runs in it (required)')
  gpu_type: str = configs.field(
      'nvidia-tesla-t4', "the GPU node pool's cloud.google.com/gke-accelerator label")
  gpu_count: int = configs.field(1, 'GPUs for the Trainer (0: the Trainer runs on a CPU node)')
  trainer_cpu: float = configs.field(4.0, "CPU limit of the Trainer's pod, in cores")
  trainer_memory_gb: float = configs.field(16.0, "memory limit of the Trainer's pod, in GB")
  beam_runner: str = configs.field(
      'DirectRunner', 'Beam runner of StatisticsGen, Transform and Evaluator: '
      'DirectRunner (inside their pods) or DataflowRunner (for data that outgrows a pod)')
  dataflow_project: str = configs.field('', 'Google Cloud project of the Dataflow jobs')
  dataflow_region: str = configs.field('us-central1', 'region of the Dataflow jobs')
  dataflow_machine_type: str = configs.field('n1-standard-4',
                                             'machine type of the Dataflow workers')
  dataflow_max_workers: int = configs.field(10, 'most Dataflow workers per job')
  package: str = configs.field('mnist-tfx.yaml', 'where compile writes the pipeline spec')
