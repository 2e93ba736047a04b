"""The project's shape, checked: imports go down the layers, and every name that crosses a
boundary is spelt once, in lib/contracts.py."""

import ast
import os
import subprocess
import sys

from mnist_tfx.lib import contracts
from tests.support import idx_files

PACKAGES = ('app', 'kubeflow', 'pipeline', 'components', 'trainer_module', 'lib')


def test_imports_go_down_the_layers(tmp_path):
  """import-linter's contracts in pyproject.toml: a back-up import fails here."""
  result = subprocess.run(
      [os.path.join(os.path.dirname(sys.executable), 'lint-imports'), '--no-logo',
       '--cache-dir', str(tmp_path)],
      cwd=idx_files.PROJECT, capture_output=True, text=True, check=False)
  assert result.returncode == 0, result.stdout + result.stderr
  assert 'Contracts: 2 kept, 0 broken.' in result.stdout


def _contract_values():
  values = {}
  # Not contracts.Output: its keys are common words ('examples', 'baseline') that also
  # name other things (TFMA's baseline model, a signature's input). The run record's
  # test (tests/pipeline/test_local_run.py) shows that readers and writers agree on them.
  for kind in (contracts.ComponentId, contracts.Property, contracts.File, contracts.Signature):
    for name, value in vars(kind).items():
      if not name.startswith('_') and isinstance(value, str):
        values[value] = f'contracts.{kind.__name__}.{name}'
  return values


def _prose(tree):
  """Docstrings, and text inside f-strings (column headings): words, not names."""
  nodes = [tree] + [n for n in ast.walk(tree)
                    if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
  found = {id(n.body[0].value) for n in nodes
           if n.body and isinstance(n.body[0], ast.Expr)
          and isinstance(n.body[0].value, ast.Constant)}
  for joined in (n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)):
    found.update(id(n) for n in ast.walk(joined))
  return found


def test_names_that_cross_a_boundary_are_spelt_only_in_contracts():
  """A component id, artifact property, shared file or signature written as a bare string
  elsewhere would let a writer and its reader drift apart without an error."""
  values = _contract_values()
  found = []
  for package in PACKAGES:
    for root, _, names in os.walk(os.path.join(idx_files.PROJECT, package)):
      for name in names:
        path = os.path.join(root, name)
        if not name.endswith('.py') or path.endswith(os.path.join('lib', 'contracts.py')):
          continue
        with open(path) as f:
          tree = ast.parse(f.read())
        prose = _prose(tree)
        found += [f'{os.path.relpath(path, idx_files.PROJECT)}:{node.lineno}: {node.value!r} '
                  f'is {values[node.value]}'
                  for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and node.value in values and id(node) not in prose]
  assert not found, '\n'.join(found)
