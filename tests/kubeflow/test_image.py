"""kubeflow/Dockerfile, checked without a Docker engine: what it copies and pins.

The versions it names must be the lock's, and the executors and functions the
compiled spec names must import from the installed package. That it runs as a
user who is not root, and installs the lock by hash, the reliability matrix
checks (tests/reliability/test_security.py).
"""

import importlib.util
import os
import re

from mnist_tfx.kubeflow import compiler
from mnist_tfx.pipeline import configs

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(*path):
  with open(os.path.join(PROJECT, *path)) as f:
    return f.read()


DOCKERFILE = _read('kubeflow', 'Dockerfile')


def _instructions(keyword):
  return re.findall(rf'^{keyword} (.+)$', DOCKERFILE, flags=re.MULTILINE)


def _locked(package):
  return re.search(rf'^{package}==(\S+)', _read('requirements.lock'), re.MULTILINE).group(1)


def test_every_copied_file_exists_and_is_in_the_build_context():
  allowed = [line[1:].rstrip('/') for line in _read('.dockerignore').splitlines()
             if line.startswith('!')]
  sources = [s for line in _instructions('COPY') if not line.startswith('--from')
             for s in line.split()[:-1]]
  assert sources
  for source in sources:
    assert os.path.exists(os.path.join(PROJECT, source)), source
    assert source.rstrip('/') in allowed, f'{source} is excluded by .dockerignore'


def test_versions_are_the_locks():
  assert 'tensorflow/tfx:' + _locked('tfx') in _instructions('FROM')
  assert f'ARG BEAM_VERSION={_locked("apache-beam")}' in DOCKERFILE
  uv = re.search(r'"uv==(\S+)"', _read('bin', 'setup')).group(1)
  assert f'"uv=={uv}"' in DOCKERFILE


def test_keras_mode_and_project_folder():
  assert 'TF_USE_LEGACY_KERAS=1' in DOCKERFILE
  assert 'export TF_USE_LEGACY_KERAS=1' in _read('bin', 'setup')
  assert _instructions('WORKDIR') == [compiler.IMAGE_PROJECT_DIR]
  schema = compiler.IMAGE_SCHEMA_FILE[len(compiler.IMAGE_PROJECT_DIR) + 1:]
  assert os.path.samefile(os.path.join(PROJECT, schema), configs.SCHEMA_PATH)


def test_the_package_provides_every_executor_and_function_the_spec_names(compiled_spec):
  _, (spec, _) = compiled_spec
  from tfx.utils import import_utils  # pylint: disable=g-import-not-at-top
  from tfx.dsl.components.base import base_executor  # pylint: disable=g-import-not-at-top
  for executor in spec['deploymentSpec']['executors'].values():
    module = executor['container']['command'][2]  # python -m MODULE: the step entrypoint.
    assert importlib.util.find_spec(module).origin.startswith(PROJECT)
    args = executor['container']['args']
    path = args[args.index('--executor_class_path') + 1]
    assert issubclass(import_utils.import_class_by_path(path), base_executor.BaseExecutor)
  assert callable(import_utils.import_func_from_module(*configs.RUN_FN.rsplit('.', 1)))
  assert callable(import_utils.import_func_from_module(*configs.PREPROCESSING_FN.rsplit('.', 1)))


def test_every_install_compiles_its_bytecode():
  """The steps run as a user who cannot write bytecode into site-packages: without it,
  every step compiles TensorFlow, TFX and Beam from source before its executor starts."""
  installs = re.findall(r'uv pip install [^\n]*', DOCKERFILE)
  assert len(installs) == 2
  assert all('--compile-bytecode' in line for line in installs), installs
  assert 'python -m compileall' in _read('bin', 'setup')  # The same, for .venv.
