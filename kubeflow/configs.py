"""How the pipeline runs on Kubeflow Pipelines on GKE: the compile's own configuration.

Paths stay in PipelineConfig (gs:// there); the command line makes one flag per field,
each on the commands that read it (SERVING_FIELDS).
"""

import dataclasses
import os
import re
from typing import Optional

from mnist_tfx.lib import options
from mnist_tfx.pipeline import configs

# What compile and serving write stays on this machine, beside the local runs' outputs
# (run's default --output-dir), which git ignores: not in whatever folder the command runs in.
LOCAL_DIR = os.path.join(configs.PipelineConfig.output_dir, 'kubeflow')

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

# A Google service account's email, as IAM writes it: Workload Identity binds a Kubernetes
# service account to nothing else. Empty is the default, which `kubeflow serving` names as
# missing (app/options.py).
_SERVICE_ACCOUNT_EMAIL = options.matching(
    r'([a-z]([-a-z0-9]*[a-z0-9])?@[a-z0-9][-a-z0-9.:]*\.iam\.gserviceaccount\.com)?',
    'must be a Google service account email, NAME@PROJECT.iam.gserviceaccount.com: '
    'Workload Identity binds the pods to one of those')


@dataclasses.dataclass
class KubeflowConfig:
  """How the pipeline runs on Kubeflow Pipelines on GKE; paths stay in PipelineConfig (gs://)."""
  image: str = configs.field(
      '', 'container image built from kubeflow/Dockerfile; every step runs in it',
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
  package: str = configs.field(os.path.join(LOCAL_DIR, 'mnist-tfx.yaml'),
                               'where compile writes the pipeline spec',
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
      'service account by Workload Identity',
      allowed=_SERVICE_ACCOUNT_EMAIL)
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
      os.path.join(LOCAL_DIR, 'mnist-serving.yaml'), 'where serving writes the Kubernetes '
      'manifests',
      allowed=options.matching(r'.*\.ya?ml', 'must end in .yaml or .yml'))


# What `kubeflow serving` reads: TF Serving's fields, and from PipelineConfig only the
# folder the Pusher pushes to. compile, run and schedule read every other field. Each
# command's --help shows its own (app/cli.py); tests/kubeflow/test_cli.py holds the two
# sides to what serving.py and compiler.py read.
SERVING_FIELDS = ('serving_image', 'model_name', 'serving_replicas', 'serving_namespace',
                  'serving_service_account', 'serving_gsa', 'serving_versions',
                  'serving_poll_seconds', 'serving_cpu_request', 'serving_cpu_limit',
                  'serving_memory_request_gib', 'serving_memory_limit_gib', 'serving_package')
SERVING_PIPELINE_FIELDS = ('output_dir',)
PIPELINE_FIELDS = tuple(f.name for f in dataclasses.fields(KubeflowConfig)
                        if f.name not in SERVING_FIELDS)

# Cloud Storage's naming rules (cloud.google.com/storage/docs/buckets#naming): 3 to 63
# characters, or up to 222 with dots, each dot-separated part at most 63.
_BUCKET_CHARACTERS = re.compile(r'[a-z0-9][-a-z0-9_.]*[a-z0-9]')


def gcs_path_problem(path: str) -> Optional[str]:
  """Why path cannot be a Cloud Storage path, gs://BUCKET[/FOLDER], or None if it can.

  The pods read and write it; a path the bucket cannot have fails on the cluster,
  minutes into a run, so the words say which rule it breaks."""
  if not path.startswith('gs://'):
    return 'must be a gs:// path on Kubeflow (the pods share no disk, only the bucket)'
  bucket = path[len('gs://'):].split('/', 1)[0]
  longest = 222 if '.' in bucket else 63
  if not 3 <= len(bucket) <= longest:
    return (f"bucket '{bucket}' is too {'short' if len(bucket) < 3 else 'long'}: Cloud "
            'Storage bucket names are 3 to 63 characters (up to 222 with dots)')
  if not _BUCKET_CHARACTERS.fullmatch(bucket):
    return (f"bucket '{bucket}': Cloud Storage bucket names have only lowercase letters, "
            'digits, -, _ and ., and start and end with a letter or digit')
  if any(len(part) > 63 for part in bucket.split('.')):
    return (f"bucket '{bucket}': each dot-separated part of a Cloud Storage bucket name is "
            'at most 63 characters')
  return None
