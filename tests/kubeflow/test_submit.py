"""Upload, run and schedule through kfp.Client, against a stand-in of the KFP v2beta1 REST API.

The stand-in answers on loopback the few calls the client makes and records their
bodies, so the tests check what a real backend would receive; it does not check
how a real backend acts on them.
"""

import http.server
import json
import os
import socket
import subprocess
import sys
import threading

import pytest

from mnist_tfx.app import cli

API = '/apis/v2beta1'
OUTPUT_DIR = 'gs://my-bucket/mnist-tfx'


class _Backend(http.server.BaseHTTPRequestHandler):
  """Answers like KFP; `refuse` makes every create call fail as a backend would."""
  requests = []
  pipelines = []
  refuse = False

  def do_GET(self):  # pylint: disable=invalid-name
    self._record(b'')
    path = self.path.split('?')[0]
    if path == f'{API}/healthz':
      self._answer({'multi_user': False})
    elif path == f'{API}/pipelines':
      self._answer({'pipelines': self.pipelines, 'total_size': len(self.pipelines)})
    elif path == f'{API}/pipelines/p1/versions':
      self._answer({'pipeline_versions': [{'pipeline_id': 'p1', 'pipeline_version_id': 'v1'}]})
    elif path == f'{API}/experiments':
      self._answer({})
    else:
      self._answer({'error': 'not found'}, 404)

  def do_POST(self):  # pylint: disable=invalid-name
    body = self.rfile.read(int(self.headers['Content-Length']))
    self._record(body)
    path = self.path.split('?')[0]
    if self.refuse:
      self._answer({'error': 'Invalid input error: KFP only supports schema version 2.1.0',
                    'code': 3}, 400)
    elif path == f'{API}/pipelines/upload':
      type(self).pipelines = [{'pipeline_id': 'p1', 'display_name': 'mnist-tfx'}]
      self._answer(self.pipelines[0])
    elif path == f'{API}/pipelines/upload_version':
      self._answer({'pipeline_id': 'p1', 'pipeline_version_id': 'v2'})
    elif path == f'{API}/experiments':
      self._answer({'experiment_id': 'e1', 'display_name': 'mnist-tfx'})
    elif path == f'{API}/runs':
      self._answer({'run_id': 'r1'})
    elif path == f'{API}/recurringruns':
      self._answer({'recurring_run_id': 'rr1'})
    else:
      self._answer({'error': 'not found'}, 404)

  def _record(self, body):
    self.requests.append((self.command, self.path, body))

  def _answer(self, payload, status=200):
    data = json.dumps(payload).encode()
    self.send_response(status)
    self.send_header('Content-Type', 'application/json')
    self.send_header('Content-Length', str(len(data)))
    self.end_headers()
    self.wfile.write(data)

  def log_message(self, *unused):
    pass


@pytest.fixture
def backend():
  _Backend.requests, _Backend.pipelines, _Backend.refuse = [], [], False
  server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Backend)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  yield _Backend, f'http://127.0.0.1:{server.server_address[1]}'
  server.shutdown()


def _submit(command, host, tmp_path, *flags):
  return cli.main(['kubeflow', command, '--host', host, '--image', 'mnist-tfx:v7',
                   '--data-root', 'gs://my-bucket/mnist', '--output-dir', OUTPUT_DIR,
                   '--package', str(tmp_path / 'mnist-tfx.yaml'), *flags])


def _posted(state, path):
  return [json.loads(body) for method, p, body in state.requests
          if method == 'POST' and p.split('?')[0] == f'{API}/{path}']


def test_schedule_then_run_upload_versions_with_the_pipeline_root(backend, tmp_path):
  state, host = backend
  assert _submit('schedule', host, tmp_path, '--cron', '0 0 6 * * *') == cli.EXIT_OK
  upload = next(body for method, path, body in state.requests if 'pipelines/upload' in path)
  assert b'schemaVersion: 2.1.0' in upload and b'nvidia.com/gpu' in upload
  (schedule,) = _posted(state, 'recurringruns')
  assert schedule['trigger'] == {'cron_schedule': {'cron': '0 0 6 * * *'}}
  assert int(schedule['max_concurrency']) == 1
  assert schedule['no_catchup'] is True
  assert schedule['runtime_config']['pipeline_root'] == OUTPUT_DIR + '/pipeline'
  assert schedule['pipeline_version_reference'] == {'pipeline_id': 'p1',
                                                    'pipeline_version_id': 'v1'}
  # The pipeline exists now: a run uploads a new version of it and runs that.
  assert _submit('run', host, tmp_path) == cli.EXIT_OK
  assert any('pipelines/upload_version' in path for _, path, _ in state.requests)
  (run,) = _posted(state, 'runs')
  assert run['runtime_config']['pipeline_root'] == OUTPUT_DIR + '/pipeline'
  assert run['pipeline_version_reference'] == {'pipeline_id': 'p1', 'pipeline_version_id': 'v2'}


def test_a_refusal_is_one_line_naming_the_backend_and_the_reason(backend, tmp_path, capsys):
  state, host = backend
  state.refuse = True
  assert _submit('run', host, tmp_path) == cli.EXIT_FAILED
  (line,) = capsys.readouterr().err.strip().splitlines()
  assert line.startswith(f'error: Kubeflow Pipelines at {host} refused to upload the pipeline: 400')
  assert 'KFP only supports schema version 2.1.0' in line


def test_an_unreachable_backend_is_one_line_before_the_compile(tmp_path, capsys):
  with socket.socket() as s:  # A port nothing listens on.
    s.bind(('127.0.0.1', 0))
    host = f'http://127.0.0.1:{s.getsockname()[1]}'
  assert _submit('run', host, tmp_path) == cli.EXIT_FAILED
  (line,) = capsys.readouterr().err.strip().splitlines()
  assert line == (f'error: cannot reach Kubeflow Pipelines at {host}: Connection refused '
                  '(GET /apis/v2beta1/healthz)')
  assert not os.listdir(tmp_path)  # Checked before the compile, which writes the package.


@pytest.mark.full  # It compiles in a fresh process: TFX's import and the compile, 15 s here.
def test_a_run_from_a_terminal_shows_only_our_lines(backend, tmp_path):
  """As a user starts it: no warning or log of TFX, TensorFlow, kfp or urllib3 on stderr
  (without the TF_CPP_MIN_LOG_LEVEL the tests set), our three progress lines on stdout."""
  _, host = backend
  package = str(tmp_path / 'mnist-tfx.yaml')
  environment = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}
  result = subprocess.run(
      [sys.executable, '-m', 'mnist_tfx.app.cli', 'kubeflow', 'run', '--host', host,
       '--image', 'mnist-tfx:v7', '--data-root', 'gs://my-bucket/mnist', '--output-dir',
       OUTPUT_DIR, '--package', package],
      cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == cli.EXIT_OK, result.stderr
  assert result.stderr == ''
  assert result.stdout.splitlines() == [f'Pipeline spec: {package}', 'Pipeline p1, version v1',
                                        f'Run: r1 ({host}/#/runs/details/r1)']
