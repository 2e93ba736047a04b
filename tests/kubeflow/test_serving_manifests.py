"""TF Serving's manifests (`mnist-pipeline kubeflow serving`), checked without a cluster.

Kubernetes' own OpenAPI schemas (kubernetes-validate, strict: an unknown field is an
error) stand in for the API server's validation; TF Serving's ModelServerConfig proto
(tensorflow-serving-api) for its parse of the model config. Nothing here runs TF
Serving or a cluster: probes, polling and the apply's effect are not exercised.
"""

import copy
import http.server
import importlib.metadata
import json
import os
import subprocess
import sys
import threading

from google.protobuf import text_format
import pytest
import yaml

from tensorflow_serving.config import model_server_config_pb2

from mnist_tfx.app import cli
from mnist_tfx.kubeflow import serving
from tests.support.compiled import OUTPUT_DIR
from tests.support import idx_files
from tests.support.fresh import run_fresh

# The minor versions GKE supported when this was written (Stable to Rapid channel).
KUBERNETES_VERSIONS = ('1.33.0', '1.34.0', '1.35.0')
GSA = 'tf-serving@my-project.iam.gserviceaccount.com'
FLAGS = ('--output-dir', OUTPUT_DIR, '--serving-gsa', GSA, '--serving-replicas', '3',
         '--serving-versions', '4', '--serving-poll-seconds', '15')


def _render(folder, *flags):
  package = str(folder / 'mnist-serving.yaml')
  assert cli.main(['kubeflow', 'serving', *FLAGS, '--serving-package', package,
                   *flags]) == cli.EXIT_OK
  with open(package) as f:
    return list(yaml.safe_load_all(f))


@pytest.fixture(scope='module')
def documents(tmp_path_factory):
  return _render(tmp_path_factory.mktemp('serving'))


@pytest.fixture(scope='module')
def kubernetes_validate():
  """Kubernetes' schemas, from beside the environment, not in it
  (tests/kubeflow/kubernetes-validate.lock): on the path while this module's tests import it."""
  folder = os.path.join(idx_files.PROJECT, '.venv', 'kubernetes-validate')
  sys.path.insert(0, folder)
  try:
    import kubernetes_validate as module  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(folder)
  return module


def _by_kind(documents, kind):
  return next(d for d in documents if d['kind'] == kind)


def _container(documents):
  return _by_kind(documents, 'Deployment')['spec']['template']['spec']['containers'][0]


def test_kubernetes_validate_stays_out_of_the_environment():
  """Installed, it was loaded by every process that imports TFX's components, with
  jsonschema: about 1.9 s each (tests/kubeflow/kubernetes-validate.lock)."""
  code = ('import sys, tfx.components\n'
          'print(sorted(m for m in ("kubernetes_validate", "jsonschema") if m in sys.modules))')
  result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          check=True)
  assert result.stdout.strip().splitlines()[-1] == '[]'


@pytest.mark.parametrize('version', KUBERNETES_VERSIONS)
def test_every_manifest_passes_kubernetes_schemas_strictly(documents, version,
                                                          kubernetes_validate):
  assert [d['kind'] for d in documents] == [
      'Namespace', 'ServiceAccount', 'ConfigMap', 'Deployment', 'Service']
  for document in documents:
    kubernetes_validate.validate(document, version, strict=True)


@pytest.mark.parametrize('break_it, message', [
    (lambda d: d['spec']['template']['spec']['containers'][0].update(
        livenesProbe={'httpGet': {'path': '/', 'port': 'http'}}), 'livenesProbe'),
    (lambda d: d['spec'].update(replicas='two'), "'two' is not of type 'integer'"),
])
def test_a_broken_deployment_fails_the_same_validation(documents, break_it, message,
                                                        kubernetes_validate):
  deployment = copy.deepcopy(_by_kind(documents, 'Deployment'))
  break_it(deployment)
  with pytest.raises(kubernetes_validate.ValidationError, match=message):
    kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


def test_the_model_base_path_is_where_the_compiled_pusher_pushes(documents, compiled_spec):
  """Both come from one configuration (tests/support/compiled.py's --output-dir)."""
  _, (spec, _) = compiled_spec
  pusher = spec['root']['dag']['tasks']['Pusher']['inputs']['parameters']
  destination = json.loads(pusher['push_destination']['runtimeValue']['constant'])
  config_map = _by_kind(documents, 'ConfigMap')
  # TF Serving's own proto parses the file: a misspelt field would fail here.
  model_config = text_format.Parse(config_map['data']['models.config'],
                                   model_server_config_pb2.ModelServerConfig())
  (model,) = model_config.model_config_list.config
  assert model.base_path == destination['filesystem']['base_directory']
  assert model.base_path == OUTPUT_DIR + '/serving'
  assert model.name == 'mnist'
  assert model.model_platform == 'tensorflow'
  assert model.model_version_policy.latest.num_versions == 4


def test_the_server_reads_that_config_polls_and_retries_failed_loads(documents):
  container = _container(documents)
  pod = _by_kind(documents, 'Deployment')['spec']['template']['spec']
  assert container['command'] == ['/usr/bin/tensorflow_model_server']
  args = dict(arg.split('=', 1) for arg in container['args'])
  mount = container['volumeMounts'][0]
  assert pod['volumes'][0] == {'name': mount['name'], 'configMap': {
      'name': _by_kind(documents, 'ConfigMap')['metadata']['name']}}
  assert args['--model_config_file'] == mount['mountPath'] + '/models.config'
  assert args['--file_system_poll_wait_seconds'] == '15'
  # A version seen before its saved_model.pb is tried again for minutes, not given up.
  assert int(args['--max_num_load_retries']) * int(args['--load_retry_interval_micros']) \
      >= 5 * 60 * 1_000_000
  assert (args['--port'], args['--rest_api_port']) == ('8500', '8501')


def test_probes_readiness_needs_an_available_version(documents):
  container = _container(documents)
  assert container['readinessProbe']['httpGet'] == {'path': '/v1/models/mnist/metadata',
                                                    'port': 'http'}
  assert container['livenessProbe']['httpGet'] == {'path': '/v1/models/mnist', 'port': 'http'}
  startup = container['startupProbe']
  # The first load may take every retry before the ports open.
  assert startup['periodSeconds'] * startup['failureThreshold'] >= (
      serving.LOAD_RETRIES * serving.LOAD_RETRY_INTERVAL_SECONDS)


def test_rollout_keeps_serving_pods_and_a_new_config_rolls_the_pods(tmp_path, documents):
  deployment = _by_kind(documents, 'Deployment')
  assert deployment['spec']['replicas'] == 3
  assert deployment['spec']['strategy']['rollingUpdate']['maxUnavailable'] == 0
  other = _by_kind(_render(tmp_path, '--serving-versions', '1'), 'Deployment')
  hash_of = lambda d: d['spec']['template']['metadata']['annotations'][  # noqa: E731
      serving.CONFIG_HASH_ANNOTATION]
  assert hash_of(other) != hash_of(deployment)


def test_the_pods_read_the_bucket_as_the_google_service_account(documents):
  account = _by_kind(documents, 'ServiceAccount')
  pod = _by_kind(documents, 'Deployment')['spec']['template']['spec']
  assert account['metadata']['annotations'] == {'iam.gke.io/gcp-service-account': GSA}
  assert pod['serviceAccountName'] == account['metadata']['name']
  assert pod['nodeSelector'] == {'iam.gke.io/gke-metadata-server-enabled': 'true'}
  namespaces = {d['metadata'].get('namespace') for d in documents if d['kind'] != 'Namespace'}
  assert namespaces == {_by_kind(documents, 'Namespace')['metadata']['name']}


def test_the_service_selects_the_pods_and_names_both_ports(documents):
  service = _by_kind(documents, 'Service')
  pod_labels = _by_kind(documents, 'Deployment')['spec']['template']['metadata']['labels']
  assert service['spec']['selector'].items() <= pod_labels.items()
  assert [(p['name'], p['port']) for p in service['spec']['ports']] == [
      ('grpc', 8500), ('http', 8501)]


def test_the_default_image_is_the_tensorflow_the_model_is_trained_with():
  tag = serving.kubeflow_configs.KubeflowConfig.serving_image.rsplit(':', 1)[1]
  trained_with = importlib.metadata.version('tensorflow')
  assert tag.split('.')[:2] == trained_with.split('.')[:2]
  assert tag == importlib.metadata.version('tensorflow-serving-api')


@pytest.mark.parametrize('flags, named', [
    (('--serving-replicas', '0'), "--serving-replicas 0: must be a whole number of at least 1"),
    (('--serving-replicas', 'two'), "--serving-replicas: invalid int value: 'two'"),
    (('--serving-versions', '0'), '--serving-versions 0:'),
    (('--serving-poll-seconds', '-1'), '--serving-poll-seconds -1:'),
    (('--model-name', 'MNIST'), "--model-name 'MNIST': lowercase letters"),
    (('--model-name', 'mnist/v1'), "--model-name 'mnist/v1':"),
    (('--serving-namespace', 'tf_serving'), "--serving-namespace 'tf_serving':"),
    (('--output-dir', 'outputs'), "--output-dir 'outputs': must be a gs:// path"),
    (('--output-dir', 'gs://b/out'), "--output-dir 'gs://b/out': bucket 'b' is too short: "
     'Cloud Storage bucket names are 3 to 63 characters'),
    (('--serving-gsa', 'me@gmail.com'), "--serving-gsa 'me@gmail.com': must be a Google"),
    (('--serving-gsa', ''), 'missing --serving-gsa (the Google service account'),
    (('--serving-cpu-limit', '0.25'), '--serving-cpu-limit 0.25: must be at least '
     '--serving-cpu-request (0.5 cores)'),
    (('--serving-memory-request-gib', '0'), '--serving-memory-request-gib 0.0: must be a number '
     'more than 0 GiB'),
    (('--serving-image', ''), "--serving-image '':"),
    (('--epochs', '3'), 'unrecognized arguments: --epochs 3'),  # compile's, not serving's.
])
def test_a_bad_option_is_one_line_exit_2_and_nothing_written(tmp_path, flags, named):
  package = str(tmp_path / 'manifests' / 'mnist-serving.yaml')
  result = subprocess.run(
      [sys.executable, '-m', 'mnist_tfx.app.cli', 'kubeflow', 'serving', *FLAGS,
       '--serving-package', package, *flags],
      cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
  assert result.returncode == 2, result.stderr
  assert result.stderr.count('\n') == 1 and result.stderr.startswith('error: '), result.stderr
  assert named in result.stderr
  assert not os.listdir(tmp_path)


def test_rendering_imports_neither_tfx_nor_tensorflow(tmp_path):
  script = (
      'import sys\n'
      'from mnist_tfx.app import cli\n'
      f'assert cli.main(["kubeflow", "serving", *{list(FLAGS)!r}, "--serving-package", '
      '"mnist-serving.yaml"]) == 0\n')
  _, imported = run_fresh(script, cwd=tmp_path)
  assert imported == []
  assert os.listdir(tmp_path) == ['mnist-serving.yaml']


class _ApiServer(http.server.BaseHTTPRequestHandler):
  """Records each request and answers 200 with the object sent, as an API server answers
  an apply, or 403 with a Status when `refuse`. It checks what the Kubernetes client
  sends, not how a cluster acts on it."""
  requests = []
  refuse = False

  def do_PATCH(self):  # pylint: disable=invalid-name
    body = self.rfile.read(int(self.headers['Content-Length']))
    self.requests.append((self.command, self.path, self.headers['Content-Type'],
                          self.headers['Authorization'], json.loads(body)))
    if self.refuse:
      body = json.dumps({'kind': 'Status', 'apiVersion': 'v1', 'status': 'Failure',
                         'reason': 'Forbidden', 'code': 403, 'message':
                         'namespaces "tf-serving" is forbidden: User "me" cannot patch '
                         'resource "namespaces"'}).encode()
    self.send_response(403 if self.refuse else 200)
    self.send_header('Content-Type', 'application/json')
    self.end_headers()
    self.wfile.write(body)

  def log_message(self, *unused):
    pass


@pytest.fixture
def kube_context(tmp_path):
  """A kubeconfig whose current context is the stand-in on loopback: (its path, requests)."""
  server = http.server.HTTPServer(('127.0.0.1', 0), _ApiServer)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  _ApiServer.requests, _ApiServer.refuse = [], False
  kubeconfig = tmp_path / 'kubeconfig'
  kubeconfig.write_text(yaml.safe_dump({
      'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'standin',
      'clusters': [{'name': 'standin', 'cluster': {
          'server': f'http://127.0.0.1:{server.server_address[1]}'}}],
      'users': [{'name': 'me', 'user': {'token': 't0ken'}}],
      'contexts': [{'name': 'standin', 'context': {'cluster': 'standin', 'user': 'me'}}]}))
  yield str(kubeconfig), _ApiServer.requests
  server.shutdown()


def _apply(tmp_path, kubeconfig):
  return subprocess.run(
      [sys.executable, '-m', 'mnist_tfx.app.cli', 'kubeflow', 'serving', *FLAGS, '--apply',
       '--serving-package', str(tmp_path / 'mnist-serving.yaml')],
      cwd=tmp_path, env={**os.environ, 'KUBECONFIG': kubeconfig}, capture_output=True,
      text=True, timeout=120, check=False)


def test_apply_sends_one_server_side_apply_per_object_and_again_the_same(
    tmp_path, kube_context, documents):
  """Server-side apply creates what is missing and updates what is there (the API
  server's part, not checked here), so the second apply is the same requests."""
  kubeconfig, requests = kube_context
  for _ in range(2):
    result = _apply(tmp_path, kubeconfig)
    assert result.returncode == 0, result.stderr
  assert result.stdout.splitlines()[1:] == [
      'applied namespace/tf-serving', 'applied serviceaccount/tf-serving',
      'applied configmap/mnist-model-config', 'applied deployment/mnist',
      'applied service/mnist']
  query = '?fieldManager=mnist-tfx&force=true'
  paths = [
      '/api/v1/namespaces/tf-serving',
      '/api/v1/namespaces/tf-serving/serviceaccounts/tf-serving',
      '/api/v1/namespaces/tf-serving/configmaps/mnist-model-config',
      '/apis/apps/v1/namespaces/tf-serving/deployments/mnist',
      '/api/v1/namespaces/tf-serving/services/mnist',
  ]
  expected = [('PATCH', path + query, 'application/apply-patch+yaml', 'Bearer t0ken', document)
              for path, document in zip(paths, documents)]
  assert requests == expected * 2


def test_a_refused_apply_is_one_line_naming_the_object(tmp_path, kube_context):
  kubeconfig, requests = kube_context
  _ApiServer.refuse = True
  result = _apply(tmp_path, kubeconfig)
  assert result.returncode == cli.EXIT_FAILED
  assert result.stderr == (
      'error: applying namespace/tf-serving: the API server answered 403 Forbidden: '
      'namespaces "tf-serving" is forbidden: User "me" cannot patch resource "namespaces"\n')
  assert len(requests) == 1
