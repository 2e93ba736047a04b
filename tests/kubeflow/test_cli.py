"""The `kubeflow` commands as a user meets them: every missing flag named at once, each
command's help with its own flags only, and a terminal that holds only our own lines.

The terminal checks run each command in a fresh process, as a user starts it, without the
TF_CPP_MIN_LOG_LEVEL that tests/conftest.py sets: what TFX, TensorFlow, kfp or urllib3
would print is there to be seen.
"""

import ast
import dataclasses
import os
import re
import socket
import subprocess
import sys

import pytest
import yaml

from mnist_tfx.app import cli
from mnist_tfx.kubeflow import configs as kubeflow_configs
from mnist_tfx.kubeflow import serving
from mnist_tfx.lib.options import flag
from mnist_tfx.pipeline import configs
from tests.support.compiled import DATA_ROOT
from tests.support.compiled import IMAGE
from tests.support.compiled import OUTPUT_DIR
from tests.support.fresh import run_fresh
from tests.support.idx_files import PROJECT

GSA = 'tf-serving@my-project.iam.gserviceaccount.com'
BACKEND_FLAGS = {'--host', '--namespace', '--experiment', '--service-account'}


def _closed_port_url() -> str:
  with socket.socket() as s:  # A port nothing listens on.
    s.bind(('127.0.0.1', 0))
    return f'http://127.0.0.1:{s.getsockname()[1]}'


def _fresh(folder, *argv, env=None):
  """The command in a process of its own, as a user's terminal starts it."""
  environment = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}
  return subprocess.run([sys.executable, '-m', 'mnist_tfx.app.cli', *argv], cwd=folder,
                        env={**environment, **(env or {})}, capture_output=True, text=True,
                        timeout=300, check=False)


@pytest.mark.parametrize('argv, missing', [
    (('compile',), ['--image', '--data-root', '--output-dir']),
    (('run',), ['--image', '--data-root', '--output-dir', '--host']),
    (('schedule', '--image', IMAGE), ['--data-root', '--output-dir', '--host']),
    (('compile', '--beam-runner', 'DataflowRunner', '--data-root', DATA_ROOT),
     ['--image', '--output-dir', '--dataflow-project']),
    (('serving',), ['--output-dir', '--serving-gsa']),
    (('serving', '--serving-gsa', ''), ['--output-dir', '--serving-gsa']),
])
def test_every_missing_flag_is_named_at_once_each_with_what_it_is_for(
    argv, missing, tmp_path, monkeypatch, capsys):
  monkeypatch.chdir(tmp_path)
  monkeypatch.delenv('KF_PIPELINES_ENDPOINT', raising=False)
  assert cli.main(['kubeflow', *argv]) == cli.EXIT_BAD_OPTION
  err = capsys.readouterr().err
  assert err.count('\n') == 1 and err.startswith('error: missing --'), err
  assert re.findall(r'(?:missing |; )(--[a-z-]+) \(', err) == missing
  assert not os.listdir(tmp_path)


def test_the_host_may_come_from_the_environment(tmp_path, monkeypatch, capsys):
  monkeypatch.chdir(tmp_path)
  monkeypatch.setenv('KF_PIPELINES_ENDPOINT', 'http://localhost:8080')
  assert cli.main(['kubeflow', 'run']) == cli.EXIT_BAD_OPTION
  assert '--host' not in capsys.readouterr().err


def _help_flags(capsys, *argv):
  with pytest.raises(SystemExit) as exit_info:
    cli.main(['kubeflow', *argv, '--help'])
  assert exit_info.value.code == 0
  options_part = capsys.readouterr().out.split('options:', 1)[1]
  return set(re.findall(r'^  (--[a-z-]+)', options_part, re.MULTILINE)) - {'--help'}


def _flags(config_class, names=None):
  return {flag(f.name) for f in dataclasses.fields(config_class)
          if 'help' in f.metadata and (names is None or f.name in names)}


def test_each_command_shows_only_its_own_flags(capsys):
  serving_flags = {flag(name) for name in kubeflow_configs.SERVING_FIELDS}
  assert _help_flags(capsys, 'serving') == {'--output-dir', '--apply', *serving_flags}
  compile_flags = (_flags(configs.PipelineConfig) |
                   _flags(kubeflow_configs.KubeflowConfig, kubeflow_configs.PIPELINE_FIELDS))
  assert not compile_flags & serving_flags
  assert _help_flags(capsys, 'compile') == compile_flags
  assert _help_flags(capsys, 'run') == compile_flags | BACKEND_FLAGS
  assert _help_flags(capsys, 'schedule') == compile_flags | BACKEND_FLAGS | {'--cron'}
  # Every field is some command's flag: none was lost in the split.
  assert (_flags(kubeflow_configs.KubeflowConfig) ==
          _flags(kubeflow_configs.KubeflowConfig, kubeflow_configs.PIPELINE_FIELDS) |
          serving_flags)


def _recording(instance, read):
  """A copy of a configuration that notes each field read (through properties too)."""
  class Recording(type(instance)):

    def __getattribute__(self, name):
      read.add(name)
      return super().__getattribute__(name)
  return Recording(**{f.name: getattr(instance, f.name) for f in dataclasses.fields(instance)})


def test_serving_reads_only_the_fields_its_flags_set(tmp_path):
  """A field serving read but did not show would be one its user could not set."""
  config_read, cluster_read = set(), set()
  config = _recording(configs.PipelineConfig(output_dir=OUTPUT_DIR), config_read)
  cluster = _recording(kubeflow_configs.KubeflowConfig(
      serving_gsa=GSA, serving_package=str(tmp_path / 'm.yaml')), cluster_read)
  serving.render(config, cluster)
  fields = {f.name for f in dataclasses.fields(configs.PipelineConfig)}
  assert config_read & fields == set(kubeflow_configs.SERVING_PIPELINE_FIELDS)
  cluster_fields = {f.name for f in dataclasses.fields(kubeflow_configs.KubeflowConfig)}
  assert cluster_read & cluster_fields <= set(kubeflow_configs.SERVING_FIELDS)


def test_the_compile_reads_none_of_servings_fields():
  """From the source (compiling imports TFX, half a minute): every `cluster.NAME` there."""
  with open(os.path.join(PROJECT, 'kubeflow', 'compiler.py')) as f:
    tree = ast.parse(f.read())
  read = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
          and isinstance(node.value, ast.Name) and node.value.id == 'cluster'}
  assert {'image', 'package', 'gpu_count'} <= read  # The walk finds what it looks for.
  assert read <= set(kubeflow_configs.PIPELINE_FIELDS)


@pytest.mark.parametrize('path, problem', [
    ('gs://b/out', "bucket 'b' is too short: Cloud Storage bucket names are 3 to 63 "
     'characters (up to 222 with dots)'),
    ('gs://' + 'a' * 64, "is too long: Cloud Storage bucket names are 3 to 63"),
    ('gs://' + 'a.' * 40 + 'a' * 70, 'each dot-separated part'),
    ('gs://My-Bucket/out', "bucket 'My-Bucket': Cloud Storage bucket names have only "
     'lowercase letters'),
    ('gs://-bucket', 'start and end with a letter or digit'),
    ('s3://bucket/out', 'must be a gs:// path on Kubeflow (the pods share no disk'),
    ('outputs', 'must be a gs:// path'),
])
def test_a_path_the_bucket_cannot_have_is_refused_saying_which_rule(path, problem, tmp_path,
                                                                    monkeypatch, capsys):
  monkeypatch.chdir(tmp_path)
  for argv in (('compile', '--image', IMAGE, '--data-root', DATA_ROOT, '--output-dir', path),
               ('serving', '--serving-gsa', GSA, '--output-dir', path)):
    assert cli.main(['kubeflow', *argv]) == cli.EXIT_BAD_OPTION
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and err.startswith(f"error: --output-dir '{path}': "), err
    assert problem in err
  assert kubeflow_configs.gcs_path_problem('gs://my-bucket.example.com/mnist-tfx') is None
  assert not os.listdir(tmp_path)


def test_where_the_spec_is_written_must_be_a_file_that_can_be_made(tmp_path, monkeypatch,
                                                                   capsys):
  monkeypatch.chdir(tmp_path)
  (tmp_path / 'a-file').write_text('')
  (tmp_path / 'spec.yaml').mkdir()
  cluster = ('--image', IMAGE, '--data-root', DATA_ROOT, '--output-dir', OUTPUT_DIR)
  for package, problem in (('spec.yaml', "'spec.yaml': is a folder"),
                           ('a-file/spec.yaml', 'a-file is a file, so the folder')):
    assert cli.main(['kubeflow', 'compile', *cluster, '--package', package]) == 2
    assert problem in capsys.readouterr().err
  assert sorted(os.listdir(tmp_path)) == ['a-file', 'spec.yaml']


def test_the_default_spec_and_manifests_go_beside_the_local_outputs():
  """Not the current folder: `run`'s default output folder, which git ignores."""
  local = os.path.join(configs.PipelineConfig.output_dir, 'kubeflow')
  assert kubeflow_configs.KubeflowConfig.package == os.path.join(local, 'mnist-tfx.yaml')
  assert kubeflow_configs.KubeflowConfig.serving_package == os.path.join(
      local, 'mnist-serving.yaml')
  ignored = subprocess.run(
      ['git', 'check-ignore', '-q', os.path.join(PROJECT, 'outputs', 'kubeflow',
                                                 'mnist-tfx.yaml')],
      cwd=PROJECT, check=False)
  assert ignored.returncode == 0


# Terminal: stdout holds our progress lines only, stderr nothing or our one error line.


def test_compile_prints_its_one_line_and_nothing_else(tmp_path):
  package = str(tmp_path / 'spec' / 'mnist-tfx.yaml')
  result = _fresh(tmp_path, 'kubeflow', 'compile', '--image', IMAGE, '--data-root', DATA_ROOT,
                  '--output-dir', OUTPUT_DIR, '--package', package)
  assert result.returncode == 0, result.stderr
  assert result.stderr == ''
  assert result.stdout == f'Pipeline spec: {package}\n'
  with open(package) as f:
    assert next(yaml.safe_load_all(f))['schemaVersion'] == '2.1.0'


@pytest.mark.parametrize('command', ['run', 'schedule'])
def test_an_unreachable_host_is_one_line_before_the_compile_and_any_import(tmp_path, command):
  host = _closed_port_url()
  script = (
      'import sys\n'
      'from mnist_tfx.app import cli\n'
      f'status = cli.main(["kubeflow", "{command}", "--host", "{host}", "--image", "{IMAGE}", '
      f'"--data-root", "{DATA_ROOT}", "--output-dir", "{OUTPUT_DIR}", "--package", "p.yaml"])\n'
      'print(status)\n')
  environment = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}
  result, imported = run_fresh(script, cwd=tmp_path, env=environment, check=False)
  assert (result.stdout, imported) == (f'{cli.EXIT_FAILED}\n', []), result.stderr
  assert result.stderr == (f'error: cannot reach Kubeflow Pipelines at {host}: Connection '
                           'refused (GET /apis/v2beta1/healthz)\n')
  assert not os.listdir(tmp_path)


def test_an_unknown_host_name_is_one_line_naming_it(tmp_path):
  result = _fresh(tmp_path, 'kubeflow', 'run', '--host', 'http://kfp.invalid:8080', '--image',
                  IMAGE, '--data-root', DATA_ROOT, '--output-dir', OUTPUT_DIR)
  assert result.returncode == cli.EXIT_FAILED
  (line,) = result.stderr.splitlines()
  assert line.startswith('error: cannot reach Kubeflow Pipelines at http://kfp.invalid:8080: ')
  assert 'object at 0x' not in line and result.stdout == ''


def test_serving_prints_its_one_line_and_nothing_else(tmp_path):
  package = str(tmp_path / 'mnist-serving.yaml')
  result = _fresh(tmp_path, 'kubeflow', 'serving', '--output-dir', OUTPUT_DIR, '--serving-gsa',
                  GSA, '--serving-package', package)
  assert result.returncode == 0, result.stderr
  assert result.stderr == ''
  assert result.stdout == (f'TF Serving manifests: {package} (model base path '
                           f'{OUTPUT_DIR}/serving)\n')


def test_an_unreachable_cluster_is_one_line_without_the_clients_retries(tmp_path):
  kubeconfig = tmp_path / 'kubeconfig'
  kubeconfig.write_text(yaml.safe_dump({
      'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'gone',
      'clusters': [{'name': 'gone', 'cluster': {'server': _closed_port_url()}}],
      'users': [{'name': 'me', 'user': {'token': 't0ken'}}],
      'contexts': [{'name': 'gone', 'context': {'cluster': 'gone', 'user': 'me'}}]}))
  package = str(tmp_path / 'mnist-serving.yaml')
  result = _fresh(tmp_path, 'kubeflow', 'serving', '--output-dir', OUTPUT_DIR, '--serving-gsa',
                  GSA, '--serving-package', package, '--apply',
                  env={'KUBECONFIG': str(kubeconfig)})
  assert result.returncode == cli.EXIT_FAILED
  assert result.stdout.splitlines() == [
      f'TF Serving manifests: {package} (model base path {OUTPUT_DIR}/serving)']
  (line,) = result.stderr.splitlines()
  assert re.fullmatch(r'error: applying namespace/tf-serving: cannot reach '
                      r'http://127\.0\.0\.1:\d+: Connection refused', line), line
