"""Security basics: nothing read is unpickled or evaluated, the image is not root, no
credentials in the repository or the compiled spec, every locked package pinned by hash."""

import ast
import os
import re
import subprocess

import pytest
import yaml

from tests.support import idx_files

pytestmark = pytest.mark.full

UNSAFE_MODULES = {'pickle', 'cPickle', 'dill', 'cloudpickle', 'marshal', 'shelve', 'joblib'}
UNSAFE_CALLS = {'eval', 'exec'}
CREDENTIALS = re.compile(
    r'-----BEGIN [A-Z ]*PRIVATE KEY-----|"private_key"\s*:|AKIA[0-9A-Z]{16}|'
    r'AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]+|'
    r'password\s*[:=]\s*\S', re.IGNORECASE)


def _tracked(*patterns):
  listed = subprocess.run(['git', 'ls-files', *patterns], cwd=idx_files.PROJECT,
                          capture_output=True, text=True, check=True).stdout.split()
  return [os.path.join(idx_files.PROJECT, path) for path in listed]


def _unsafe_uses(path):
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  for node in ast.walk(tree):
    names = []
    if isinstance(node, ast.Import):
      names = [alias.name.split('.')[0] for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module:
      names = [node.module.split('.')[0]]
    for name in names:
      if name in UNSAFE_MODULES:
        yield f'{path}:{node.lineno}: imports {name}'
    if isinstance(node, ast.Call):
      function = node.func
      if isinstance(function, ast.Name) and function.id in UNSAFE_CALLS:
        yield f'{path}:{node.lineno}: calls {function.id}'
      if isinstance(function, ast.Attribute) and function.attr == 'load' and any(
          k.arg == 'allow_pickle' and getattr(k.value, 'value', False) for k in node.keywords):
        yield f'{path}:{node.lineno}: loads with allow_pickle'
      if (isinstance(function, ast.Attribute) and function.attr == 'load'
          and isinstance(function.value, ast.Name) and function.value.id == 'yaml'):
        yield f'{path}:{node.lineno}: yaml.load (not safe_load)'


def test_no_pickle_or_eval_of_anything(record):
  sources = _tracked('*.py')
  found = [use for path in sources for use in _unsafe_uses(path)]
  record('pickle, eval or exec in the project\'s code',
         'none (data and artifacts are parsed: IDX by struct, protos, JSON, SavedModel)',
         f'{len(found)} in {len(sources)} Python files', '')
  assert len(sources) > 50 and not found, found


def test_the_image_runs_as_a_user_that_is_not_root(record):
  with open(os.path.join(idx_files.PROJECT, 'kubeflow', 'Dockerfile')) as f:
    users = re.findall(r'^USER\s+(\S+)', f.read(), re.MULTILINE)
  record('Kubeflow image user', 'not root', f'USER {users[-1] if users else "(none: root)"}',
         '')
  assert users and users[-1] not in ('root', '0')


def test_no_credentials_in_the_repository_or_the_compiled_spec(compiled_spec, record):
  package, _ = compiled_spec
  files = [path for path in _tracked() if not path.endswith(('.gz', '.png', '.lock'))
           and path != os.path.abspath(__file__)]  # This file holds the patterns.
  found = []
  for path in [*files, package]:
    with open(path, errors='replace') as f:
      found += [f'{path}: {m.group(0)[:20]}...' for m in CREDENTIALS.finditer(f.read())]
  with open(package) as f:
    spec = next(yaml.safe_load_all(f))
  record('credentials (keys, tokens, passwords) in tracked files and the compiled spec',
         'none: pods authenticate by Workload Identity',
         f'{len(found)} found in {len(files)} files and the spec', 'mnist-pipeline kubeflow compile')
  assert not found, found
  assert 'pipelineInfo' in spec


def test_every_locked_package_is_pinned_by_hash(record):
  with open(os.path.join(idx_files.PROJECT, 'requirements.lock')) as f:
    text = f.read()
  requirements = re.findall(r'^([A-Za-z0-9_.-]+)==(\S+)((?:\s*\\\n\s+--hash=\S+)*)', text,
                            re.MULTILINE)
  unhashed = [name for name, _, hashes in requirements if '--hash=sha256:' not in hashes]
  installers = [os.path.join(idx_files.PROJECT, 'bin', 'setup'),
                os.path.join(idx_files.PROJECT, 'kubeflow', 'Dockerfile')]
  enforced = []
  for path in installers:
    with open(path) as f:
      enforced.append('--require-hashes -r requirements.lock' in f.read())
  record('lock file', 'every package pinned to a version and hashes; bin/setup and the image '
         'install with --require-hashes',
         f'{len(requirements)} packages, {len(unhashed)} without a hash; --require-hashes in '
         f'{sum(enforced)} of 2 installers', '')
  assert len(requirements) > 100 and not unhashed and all(enforced)
