"""How the pipeline runs on Kubeflow Pipelines on GKE: the compile's own configuration.

Paths stay in PipelineConfig (gs:// there); the command line makes one flag per field.
"""

import dataclasses

from mnist_tfx.lib import options
from mnist_tfx.pipeline import configs

# A Kubernetes label value, as a node selector needs it (apimachinery's IsValidLabelValue),
# not empty: the GPU node pool is selected by it.
_LABEL_VALUE = options.matching(
    r'[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?', 'must be a Kubernetes label value: letters, '
    'digits, -, _ and ., starting and ending with a letter or digit, at most 63', longest=63)
# Google Cloud's rules for a project ID: 6 to 30 lowercase letters, digits and -, starting
# with a letter, not ending with -; older ones carry a domain (example.com:my-project).
_PROJECT_ID = options.matching(
    r'(([a-z0-9][-a-z0-9.]*[a-z0-9]):)?[a-z][-a-z0-9]{4,28}[a-z0-9]|',
    'must be a Google Cloud project ID: 6 to 30 lowercase letters, digits and -, starting '
    'with a letter')

# A Google service account's email, as IAM writes it. Empty is allowed here, for the commands
# that do not serve; `kubeflow serving` requires one (app/options.py).
SERVICE_ACCOUNT_EMAIL = options.matching(
    r'([a-z]([-a-z0-9]*[a-z0-9])?@[a-z0-9][-a-z0-9.:]*\.iam\.gserviceaccount\.com)?',
    'must be a Google service account email, NAME@PROJECT.iam.gserviceaccount.com '
    '(required for serving)')


@dataclasses.dataclass
class KubeflowConfig:
  """How the pipeline runs on Kubeflow Pipelines on GKE; paths stay in PipelineConfig (gs://)."""
  image: str = configs.field(
      '', 'container image built from kubeflow/Dockerfile; every step runs in it (required)',
      allowed=options.matching(r'\S*', 'must be an image reference, without spaces'))
  gpu_type: str = configs.field(
      'nvidia-tesla-t4', "the GPU node pool's cloud.google.com/gke-accelerator label",
      allowed=_LABEL_VALUE)
  gpu_count: int = configs.field(1, 'GPUs for the Trainer (0: the Trainer runs on a CPU node)',
                                 allowed=options.whole(0, note='0: a CPU node'))
  trainer_cpu: float = configs.field(4.0, "CPU limit of the Trainer's pod, in cores",
                                     allowed=options.more_than(0, 'cores'))
  trainer_memory_gb: float = configs.field(16.0, "memory limit of the Trainer's pod, in GB",
                                           allowed=options.more_than(0, 'GB'))
  beam_runner: str = configs.field(
      'DirectRunner', 'Beam runner of StatisticsGen, Transform and Evaluator: '
      'DirectRunner (inside their pods) or DataflowRunner (for data that outgrows a pod)',
      choices=('DirectRunner', 'DataflowRunner'))
  dataflow_project: str = configs.field('', 'Google Cloud project of the Dataflow jobs',
                                        allowed=_PROJECT_ID)
  dataflow_region: str = configs.field(
      'us-central1', 'region of the Dataflow jobs',
      allowed=options.matching(r'[a-z]+-[a-z]+[0-9]+', 'must be a Google Cloud region, '
                               'such as us-central1 or europe-west4'))
  dataflow_machine_type: str = configs.field(
      'n1-standard-4', 'machine type of the Dataflow workers',
      allowed=options.matching(r'[a-z0-9]([-a-z0-9]*[a-z0-9])?', 'must be a Compute Engine '
                               'machine type, such as n1-standard-4'))
  dataflow_max_workers: int = configs.field(10, 'most Dataflow workers per job',
                                            allowed=options.whole(1))
  package: str = configs.field('mnist-tfx.yaml', 'where compile writes the pipeline spec',
                               allowed=options.ending('.yaml', 'a bare PipelineSpec'))
  # TF Serving on GKE (`kubeflow serving`, kubeflow/serving.py): it serves the versions
  # the Pusher writes to <output-dir>/serving. Each says what makes valid manifests.
  serving_image: str = configs.field(
      'tensorflow/serving:2.16.1', 'TF Serving image (2.16.1: the TensorFlow the model is '
      'trained with)',
      allowed=options.matching(r'\S+', 'must be an image reference without spaces'))
  model_name: str = configs.field(
      'mnist', 'the model name in TF Serving URLs (/v1/models/NAME) and of the Deployment '
      'and Service',
      allowed=options.matching(
          options.DNS_1035_LABEL, 'lowercase letters, digits and -, starting with a letter and '
          'ending with a letter or digit, at most 63 (it names the Service, and TF Serving '
          'URLs)', longest=63))
  serving_replicas: int = configs.field(2, 'TF Serving pods', allowed=options.whole(1))
  serving_namespace: str = configs.field(
      'tf-serving', 'Kubernetes namespace of TF Serving',
      allowed=options.matching(
          options.DNS_1123_LABEL, 'lowercase letters, digits and -, starting and ending with a '
          'letter or digit, at most 63', longest=63))
  serving_service_account: str = configs.field(
      'tf-serving', 'Kubernetes service account of the TF Serving pods',
      allowed=options.matching(
          options.DNS_1123_SUBDOMAIN, 'a DNS-1123 subdomain: lowercase letters, digits, - and '
          '., at most 253', longest=253))
  serving_gsa: str = configs.field(
      '', 'Google service account (email) that reads the bucket, bound to the Kubernetes '
      'service account by Workload Identity (required for serving)',
      allowed=SERVICE_ACCOUNT_EMAIL)
  serving_versions: int = configs.field(
      2, 'versions TF Serving keeps loaded, the newest N (a client may name any of them)',
      allowed=options.whole(1))
  serving_poll_seconds: int = configs.field(
      30, 'seconds between two looks of TF Serving for new versions in the bucket',
      allowed=options.whole(1))
  # A limit below its request: app/options.py, which sees both fields.
  serving_cpu_request: float = configs.field(0.5, 'CPU request of a TF Serving pod, in cores',
                                             allowed=options.more_than(0, 'cores'))
  serving_cpu_limit: float = configs.field(2.0, 'CPU limit of a TF Serving pod, in cores',
                                           allowed=options.more_than(0, 'cores'))
  serving_memory_request_gib: float = configs.field(
      1.0, 'memory request of a TF Serving pod, in GiB', allowed=options.more_than(0, 'GiB'))
  serving_memory_limit_gib: float = configs.field(
      2.0, 'memory limit of a TF Serving pod, in GiB', allowed=options.more_than(0, 'GiB'))
  serving_package: str = configs.field(
      'mnist-serving.yaml', 'where serving writes the Kubernetes manifests',
      allowed=options.matching(r'.*\.ya?ml', 'must end in .yaml or .yml'))
