"""TF Serving on GKE: the Kubernetes manifests that serve what the pipeline pushes.

The model base path is PipelineConfig.serving_dir, the folder the compiled Pusher
pushes to, so the two cannot disagree. TF Serving polls it and loads each new
version without a restart. Rendering imports neither TFX nor TensorFlow; applying
imports the Kubernetes client only.

Rollout safety, read from TF Serving's source at tag 2.16.1 (github.com/tensorflow/serving):

- A version on gs:// is written file by file, saved_model.pb last (lib/serving_dir.py).
  TF Serving aspires every numeric folder it lists, whatever it holds
  (sources/storage_path/file_system_storage_path_source.cc, AspireLatestVersions), and
  a load without saved_model.pb fails with NotFound "does not appear to contain a
  SavedModel bundle" (session_bundle/oss/session_bundle_util.cc,
  LoadSessionBundleOrSavedModelBundle). The load is retried max_num_load_retries times,
  load_retry_interval_micros apart, on any error (core/loader_harness.cc Load,
  util/retrier.cc). After the last try the version stays in error for good: the
  manager re-adds an errored version only with enable_reload_servables_with_error,
  which the model server has no flag for (core/aspired_versions_manager.cc
  ProcessAspiredVersionsRequest; model_servers/main.cc). So the retries are set here,
  not left to the defaults (5 tries a minute apart, model_servers/server.h): they must
  outlast the graph-last copy, which takes seconds.
- While a new version loads or has failed, the one before keeps serving: the server's
  policy unloads a version no longer aspired only once an aspired one is ready
  (core/availability_preserving_policy.cc, set in model_servers/server.cc).
- At start, the server opens its ports only after the newest version has loaded, and
  exits if that version ends in error (model_servers/server.cc BuildAndStart calls
  ServerCore::Create first; server_core.cc ConnectAdaptersToManagerAndAwaitModelLoads
  and core/load_servables_fast.cc wait for the latest version;
  core/servable_state_monitor.cc: the highest version to reach AVAILABLE or END
  decides). A pod that starts while a version is half copied loads it within the
  retries; a version folder left without saved_model.pb for good keeps new pods
  from starting (old pods go on serving; see kubeflow/README.md).
- GET /v1/models/NAME answers 200 once the server knows any version of the model, in
  any state, LOADING and END (failed) included, and 404 before that
  (model_servers/get_model_status_impl.cc; http_server.cc maps NotFound to 404). It
  cannot tell an AVAILABLE version, so it is the liveness and startup probe only.
  GET /v1/models/NAME/metadata answers 200 only from a loaded version: it takes a
  handle on the newest AVAILABLE one and is 404 without one
  (servables/tensorflow/get_model_metadata_impl.cc; core/basic_manager.cc serves
  handles of ready versions only). It is the readiness probe.
- The Deployment replaces pods one at a time and removes none before its replacement
  is ready (maxUnavailable 0), so a rollout never lowers the pods that can answer.
"""

import hashlib
import json
import math
import os
from typing import List

import yaml

from mnist_tfx.kubeflow import configs as kubeflow_configs
from mnist_tfx.kubeflow import submit
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs

# The ports of the tensorflow/serving image (tools/docker/Dockerfile: EXPOSE 8500, 8501).
GRPC_PORT = 8500
REST_PORT = 8501
MODEL_CONFIG_DIR = '/etc/tf-serving'
MODEL_CONFIG_FILE = MODEL_CONFIG_DIR + '/models.config'
SERVER_BINARY = '/usr/bin/tensorflow_model_server'  # The image's, without its wrapper script.

# A failed load is tried again every 30 s for 5 minutes: a graph-last copy of this
# model (a few MB) takes seconds, so a version seen before its saved_model.pb is
# loaded on a later try, never left failed. A version that is broken for good is
# given up after 5 minutes; the one before serves meanwhile.
LOAD_RETRIES = 10
LOAD_RETRY_INTERVAL_SECONDS = 30
# Time to fetch and load a version from the bucket at start, beyond the retries.
FIRST_LOAD_SECONDS = 300
STARTUP_PROBE_PERIOD_SECONDS = 10
# Seconds a terminating pod keeps answering after its endpoints are removed.
DRAIN_SECONDS = 5
# Who applies (server-side apply's field manager).
FIELD_MANAGER = 'mnist-tfx'

WORKLOAD_IDENTITY_ANNOTATION = 'iam.gke.io/gcp-service-account'
WORKLOAD_IDENTITY_NODE_LABEL = 'iam.gke.io/gke-metadata-server-enabled'
CONFIG_HASH_ANNOTATION = 'mnist-tfx/model-config-sha256'

def model_config(model_name: str, base_path: str, versions: int) -> str:
  """TF Serving's ModelServerConfig (text format): one model, its newest N versions."""
  return (
      'model_config_list {\n'
      '  config {\n'
      f'    name: "{model_name}"\n'
      f'    base_path: "{base_path}"\n'
      '    model_platform: "tensorflow"\n'
      f'    model_version_policy {{ latest {{ num_versions: {versions} }} }}\n'
      '  }\n'
      '}\n')


def server_args(cluster: kubeflow_configs.KubeflowConfig) -> List[str]:
  """The model server's flags; the retries are why a half-copied version still loads."""
  return [
      f'--port={GRPC_PORT}',
      f'--rest_api_port={REST_PORT}',
      f'--model_config_file={MODEL_CONFIG_FILE}',
      f'--file_system_poll_wait_seconds={cluster.serving_poll_seconds}',
      f'--max_num_load_retries={LOAD_RETRIES}',
      f'--load_retry_interval_micros={LOAD_RETRY_INTERVAL_SECONDS * 1_000_000}',
  ]


def manifests(config: configs.PipelineConfig,
              cluster: kubeflow_configs.KubeflowConfig) -> List[dict]:
  """The Namespace (unless default), ServiceAccount, ConfigMap, Deployment and Service."""
  name = cluster.model_name
  namespace = cluster.serving_namespace
  labels = {'app.kubernetes.io/name': 'tensorflow-serving',
            'app.kubernetes.io/instance': name,
            'app.kubernetes.io/part-of': configs.PIPELINE_NAME}
  selector = {'app.kubernetes.io/name': 'tensorflow-serving',
              'app.kubernetes.io/instance': name}
  config_text = model_config(name, config.serving_dir, cluster.serving_versions)

  def metadata(object_name: str, **extra) -> dict:
    return {'name': object_name, 'namespace': namespace, 'labels': dict(labels), **extra}

  documents = []
  if namespace != 'default':
    documents.append({'apiVersion': 'v1', 'kind': 'Namespace',
                      'metadata': {'name': namespace, 'labels': dict(labels)}})
  documents.append({
      'apiVersion': 'v1', 'kind': 'ServiceAccount',
      'metadata': metadata(cluster.serving_service_account, annotations={
          WORKLOAD_IDENTITY_ANNOTATION: cluster.serving_gsa}),
  })
  documents.append({
      'apiVersion': 'v1', 'kind': 'ConfigMap',
      'metadata': metadata(f'{name}-model-config'),
      'data': {MODEL_CONFIG_FILE.rsplit('/', 1)[1]: config_text},
  })
  documents.append({
      'apiVersion': 'apps/v1', 'kind': 'Deployment',
      'metadata': metadata(name),
      'spec': {
          'replicas': cluster.serving_replicas,
          'selector': {'matchLabels': selector},
          'strategy': {'type': 'RollingUpdate',
                       'rollingUpdate': {'maxSurge': 1, 'maxUnavailable': 0}},
          'template': {
              'metadata': {
                  'labels': dict(labels),
                  # A changed model config changes the pod template, so apply rolls the pods.
                  'annotations': {CONFIG_HASH_ANNOTATION:
                                  hashlib.sha256(config_text.encode()).hexdigest()},
              },
              'spec': _pod_spec(cluster, f'{name}-model-config'),
          },
      },
  })
  documents.append({
      'apiVersion': 'v1', 'kind': 'Service',
      'metadata': metadata(name),
      'spec': {
          'type': 'ClusterIP',
          'selector': selector,
          'ports': [
              {'name': 'grpc', 'port': GRPC_PORT, 'targetPort': 'grpc', 'protocol': 'TCP'},
              {'name': 'http', 'port': REST_PORT, 'targetPort': 'http', 'protocol': 'TCP'},
          ],
      },
  })
  return documents


def _pod_spec(cluster: kubeflow_configs.KubeflowConfig, config_map: str) -> dict:
  status_path = f'/v1/models/{cluster.model_name}'
  startup_seconds = LOAD_RETRIES * LOAD_RETRY_INTERVAL_SECONDS + FIRST_LOAD_SECONDS
  return {
      'serviceAccountName': cluster.serving_service_account,
      # Only nodes with GKE's metadata server give the pod its Workload Identity.
      'nodeSelector': {WORKLOAD_IDENTITY_NODE_LABEL: 'true'},
      'securityContext': {'runAsNonRoot': True, 'runAsUser': 1000, 'runAsGroup': 1000,
                          'seccompProfile': {'type': 'RuntimeDefault'}},
      'containers': [{
          'name': 'tensorflow-serving',
          'image': cluster.serving_image,
          'command': [SERVER_BINARY],
          'args': server_args(cluster),
          'ports': [{'name': 'grpc', 'containerPort': GRPC_PORT, 'protocol': 'TCP'},
                    {'name': 'http', 'containerPort': REST_PORT, 'protocol': 'TCP'}],
          'resources': {
              'requests': {'cpu': _cpu(cluster.serving_cpu_request),
                           'memory': _memory(cluster.serving_memory_request_gib)},
              'limits': {'cpu': _cpu(cluster.serving_cpu_limit),
                         'memory': _memory(cluster.serving_memory_limit_gib)},
          },
          # The ports open once the newest version has loaded (retries included).
          'startupProbe': {
              'httpGet': {'path': status_path, 'port': 'http'},
              'periodSeconds': STARTUP_PROBE_PERIOD_SECONDS,
              'failureThreshold': math.ceil(startup_seconds / STARTUP_PROBE_PERIOD_SECONDS),
          },
          # 200 while the server answers: it knows the model from then on.
          'livenessProbe': {
              'httpGet': {'path': status_path, 'port': 'http'},
              'periodSeconds': 10, 'timeoutSeconds': 5, 'failureThreshold': 3,
          },
          # 200 only while a version is AVAILABLE (see the module's docstring).
          'readinessProbe': {
              'httpGet': {'path': status_path + '/metadata', 'port': 'http'},
              'periodSeconds': 5, 'timeoutSeconds': 5, 'failureThreshold': 2,
          },
          # Keeps answering while the Service stops sending it requests.
          'lifecycle': {'preStop': {'exec': {'command': ['sleep', str(DRAIN_SECONDS)]}}},
          'securityContext': {'allowPrivilegeEscalation': False,
                              'capabilities': {'drop': ['ALL']}},
          'volumeMounts': [{'name': 'model-config', 'mountPath': MODEL_CONFIG_DIR,
                            'readOnly': True}],
      }],
      'volumes': [{'name': 'model-config', 'configMap': {'name': config_map}}],
  }


def _cpu(cores: float) -> str:
  return f'{round(cores * 1000)}m'


def _memory(gib: float) -> str:
  return f'{round(gib * 1024)}Mi'


def render(config: configs.PipelineConfig, cluster: kubeflow_configs.KubeflowConfig) -> str:
  """Writes the manifests as one YAML file; returns its path. The options are checked
  before (app/options.py), so a bad one writes nothing."""
  documents = manifests(config, cluster)
  folder = os.path.dirname(cluster.serving_package)
  if folder:
    os.makedirs(folder, exist_ok=True)  # outputs/kubeflow/ by default.
  with open(cluster.serving_package, 'w') as f:
    f.write(f'# TF Serving for {config.serving_dir}: '
            f'mnist-pipeline kubeflow serving (kubeflow/serving.py)\n')
    yaml.dump_all(documents, f, Dumper=_BlockTextDumper, sort_keys=False)
  return cluster.serving_package


class _BlockTextDumper(yaml.SafeDumper):
  """Writes text of several lines (the model config) as a YAML block, as it reads."""


_BlockTextDumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    'tag:yaml.org,2002:str', text, style='|' if '\n' in text else None))


# The REST collection of each kind these manifests hold.
_COLLECTIONS = {
    ('v1', 'Namespace'): 'namespaces',
    ('v1', 'ServiceAccount'): 'serviceaccounts',
    ('v1', 'ConfigMap'): 'configmaps',
    ('v1', 'Service'): 'services',
    ('apps/v1', 'Deployment'): 'deployments',
}


def apply(documents: List[dict], api_client=None) -> List[str]:
  """Server-side apply of each document: creates it, or updates it to match; returns
  `kind/name` of each.

  One PATCH (application/apply-patch+yaml) per object, as `kubectl apply
  --server-side --force-conflicts` sends: the API server creates an object that does
  not exist, so a first and a second apply are the same call. api_client: the
  current kube context's unless given. A refusal or an unreachable cluster is a
  UsageError naming the object.
  """
  # pylint: disable=g-import-not-at-top
  from kubernetes import client as k8s_client
  from kubernetes import config as k8s_config
  import urllib3
  # pylint: enable=g-import-not-at-top
  if api_client is None:
    try:
      k8s_config.load_kube_config()
    except (k8s_config.ConfigException, OSError) as e:
      raise UsageError(f'no current kube context ({e}); see kubeflow/README.md, '
                       'gcloud container clusters get-credentials') from e
    api_client = k8s_client.ApiClient()
  applied = []
  for document in documents:
    api_version, kind = document['apiVersion'], document['kind']
    name = document['metadata']['name']
    prefix = '/api/v1' if api_version == 'v1' else f'/apis/{api_version}'
    collection = _COLLECTIONS[(api_version, kind)]
    if kind == 'Namespace':
      path = f'{prefix}/{collection}/{name}'
    else:
      path = f'{prefix}/namespaces/{document["metadata"]["namespace"]}/{collection}/{name}'
    try:
      api_client.call_api(
          path, 'PATCH',
          query_params=[('fieldManager', FIELD_MANAGER), ('force', 'true')],
          header_params={'Content-Type': 'application/apply-patch+yaml',
                         'Accept': 'application/json'},
          body=document, auth_settings=['BearerToken'], response_type='object',
          _return_http_data_only=True)
    except k8s_client.ApiException as e:
      raise UsageError(f'applying {kind.lower()}/{name}: the API server answered '
                       f'{e.status} {e.reason}: {_api_message(e.body)}') from e
    except urllib3.exceptions.HTTPError as e:
      raise UsageError(f'applying {kind.lower()}/{name}: cannot reach '
                       f'{api_client.configuration.host}: '
                       f'{submit.connection_failure(e)}') from e
    applied.append(f'{kind.lower()}/{name}')
  return applied


def _api_message(body) -> str:
  """The message of a Kubernetes Status answer, or the body as it came."""
  try:
    return json.loads(body)['message']
  except (TypeError, ValueError, KeyError):
    return str(body).strip()
