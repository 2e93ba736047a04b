"""The project's shape, checked: imports go down the layers, every name that crosses a
boundary is spelt once, in lib/contracts.py, and every key of a payload once, in its record
in lib/payloads.py."""

import ast
import dataclasses
import os
import subprocess
import sys

from mnist_tfx.lib import contracts
from mnist_tfx.lib import payloads
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


def _sources(but: str):
  """(path relative to the project, parsed module) of every .py file of the packages, but one."""
  for package in PACKAGES:
    for root, _, names in os.walk(os.path.join(idx_files.PROJECT, package)):
      for name in sorted(names):
        relative = os.path.relpath(os.path.join(root, name), idx_files.PROJECT)
        if name.endswith('.py') and relative != but:
          with open(os.path.join(idx_files.PROJECT, relative)) as f:
            yield relative, ast.parse(f.read())


def _contract_values():
  values = {}
  # Not contracts.Output: its keys are common words ('examples', 'baseline') that also
  # name other things (TFMA's baseline model, a signature's input). The run record's
  # test (tests/pipeline/test_local_run.py) shows that readers and writers agree on them.
  for kind in (contracts.ComponentId, contracts.Property, contracts.File, contracts.Signature,
               contracts.Environment):
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
  for relative, tree in _sources(but=os.path.join('lib', 'contracts.py')):
    prose = _prose(tree)
    found += [f'{relative}:{node.lineno}: {node.value!r} is {values[node.value]}'
              for node in ast.walk(tree)
              if isinstance(node, ast.Constant) and isinstance(node.value, str)
              and node.value in values and id(node) not in prose]
  assert not found, '\n'.join(found)


# The same words as keys of something that is not a payload record (yet), where they are
# spelt: (file, key) -> what they name there.
_OTHER_MEANINGS = {
    ('app/history.py', 'span'): "IdxExampleGen's spans property (lib/spans.py's describe)",
    ('components/label_check/component.py', 'span'): "IdxExampleGen's spans property",
    ('pipeline/run_reader.py', 'span'): "IdxExampleGen's spans property, and TFX's Examples "
                                        "`span` property",
    ('lib/spans.py', 'span'): "IdxExampleGen's spans property, written",
    ('lib/run_record.py', 'span'): "IdxExampleGen's spans property",
    ('pipeline/unchanged.py', 'code'): "the digest of what a run reads",
    ('trainer_module/model.py', 'recipe'): "Keras's get_config of the learning-rate schedule",
    ('trainer_module/model.py', 'epochs'): "Keras's get_config of the learning-rate schedule",
}


def _payload_keys():
  """{key: where it is defined} for each field of lib/payloads.py's records, and the keys
  they name as upper-case constants (TrainingHistory.LEARNING_RATE)."""
  keys = {}
  for name, record in vars(payloads).items():
    if not (isinstance(record, type) and dataclasses.is_dataclass(record)):
      continue
    for field in dataclasses.fields(record):
      keys[field.name] = f'payloads.{name}.{field.name}'
    for attribute, value in vars(record).items():
      if attribute.isupper() and isinstance(value, str):
        keys[value] = f'payloads.{name}.{attribute}'
  return keys


def _used_as_keys(tree):
  """The expressions a mapping is read or written by: x[key], {key: ...}, x.get(key),
  x.pop(key), x.setdefault(key), key in x."""
  for node in ast.walk(tree):
    if isinstance(node, ast.Subscript):
      yield node.slice
    elif isinstance(node, ast.Dict):
      yield from (key for key in node.keys if key is not None)
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
          and node.func.attr in ('get', 'pop', 'setdefault') and node.args):
      yield node.args[0]
    elif isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn)):
      yield node.left


def test_payload_keys_are_spelt_only_in_their_records():
  """A payload's key read or written as a bare string (found['agreement'], {'warm': ...})
  outside lib/payloads.py would bypass its record: the record is the one writer and reader."""
  keys = _payload_keys()
  found = []
  for relative, tree in _sources(but=os.path.join('lib', 'payloads.py')):
    found += [f'{relative}:{node.lineno}: {node.value!r} is {keys[node.value]}'
              for node in _used_as_keys(tree)
              if isinstance(node, ast.Constant) and isinstance(node.value, str)
              and node.value in keys and (relative, node.value) not in _OTHER_MEANINGS]
  assert not found, '\n'.join(found)


def test_the_payload_check_sees_a_bare_key():
  """The check above, on a line that reads the label check by its key."""
  tree = ast.parse("agreement = found['agreement']\nfound = {'warm': True}\n")
  spelt = [node.value for node in _used_as_keys(tree) if isinstance(node, ast.Constant)]
  assert [key for key in spelt if key in _payload_keys()] == ['agreement', 'warm']


def test_every_component_is_a_folder_of_one_of_the_two_shapes():
  """components/README.md: a function component alone in component.py, or a stock component
  extended by component.py (a class) and executor.py; spec.py only beside those."""
  root = os.path.join(idx_files.PROJECT, 'components')
  loose = [name for name in os.listdir(root) if name.endswith('.py') and name != '__init__.py']
  assert not loose, f'components/ holds modules outside a component folder: {loose}'
  shapes = {}
  for name in sorted(os.listdir(root)):
    folder = os.path.join(root, name)
    if not os.path.isdir(folder) or name.startswith(('_', '.')):
      continue
    files = set(os.listdir(folder))
    assert {'__init__.py', 'component.py'} <= files, f'components/{name}: {sorted(files)}'
    with open(os.path.join(folder, 'component.py')) as f:
      tree = ast.parse(f.read())
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)
                 and any(getattr(d, 'id', None) == 'component' for d in node.decorator_list)]
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)
               and any(isinstance(n, ast.Assign) and n.targets[0].id == 'EXECUTOR_SPEC'
                       for n in node.body if isinstance(n, ast.Assign))]
    if functions and not classes and not {'executor.py', 'spec.py'} & files:
      shapes[name] = 'function'
    elif classes and not functions and 'executor.py' in files:
      shapes[name] = 'extended'
    else:
      shapes[name] = f'neither: {len(functions)} @component, {len(classes)} classes, {files}'
  assert all(shape in ('function', 'extended') for shape in shapes.values()), shapes
  assert shapes == {
      'atomic_pusher': 'extended', 'data_gate': 'extended', 'gated_evaluator': 'extended',
      'idx_example_gen': 'function', 'in_memory_statistics_gen': 'extended',
      'in_memory_transform': 'extended', 'label_check': 'function', 'run_report': 'function',
      'served_model': 'function', 'span_test': 'function', 'starting_model': 'function'}
