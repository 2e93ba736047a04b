"""The TF Serving client's own failures. Its answers are not tested: that needs TF
Serving, which does not run here (no container engine, no cluster)."""

import subprocess
import sys

import pytest

CLIENT = (sys.executable, '-m', 'mnist_tfx.kubeflow.serving_client')


def _client(*flags):
  return subprocess.run([*CLIENT, *flags], capture_output=True, text=True, timeout=300,
                        check=False)


@pytest.mark.parametrize('flags, said', [
    (('--rest',), 'http://127.0.0.1:9/v1/models/mnist:predict: [Errno 111] Connection refused'),
    (('--signature', 'serving_default'), '127.0.0.1:9 (serving_default [10] tf.Example): '
     'UNAVAILABLE'),
])
def test_an_unreachable_server_ends_in_one_error_line_and_exit_1(flags, said):
  """Port 9 (discard) has no listener here: the connection is refused at once."""
  result = _client('--target', '127.0.0.1:9', '--timeout', '5', *flags)
  assert result.returncode == 1
  last = result.stderr.splitlines()[-1]
  assert last.startswith(f'error: {said}'), result.stderr


def test_rest_refuses_the_examples_signature():
  result = _client('--target', '127.0.0.1:9', '--rest', '--signature', 'serving_default')
  assert result.returncode == 2
  assert 'error: --signature serving_default is for gRPC' in result.stderr
