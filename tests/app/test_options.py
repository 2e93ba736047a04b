"""Every option of every command: a bad value is one line naming the flag, the value and what
is allowed, exit status 2, and nothing imported, read or written."""

import dataclasses
import os
import re
import subprocess
import sys

import pytest

from mnist_tfx.app import cli
from mnist_tfx.app import options
from mnist_tfx.kubeflow import configs as kubeflow_configs
from mnist_tfx.kubeflow import cron
from mnist_tfx.lib.errors import OptionError
from mnist_tfx.pipeline import configs
from tests.support.fresh import run_fresh

FILE = 'a-file'  # Planted in the working folder by the test: a path that is not a folder.
CLUSTER = ('--image', 'mnist-tfx:v7', '--data-root', 'gs://my-bucket/mnist', '--output-dir',
           'gs://my-bucket/out')
BACKEND = (*CLUSTER, '--host', 'http://localhost:8080')
SERVING = ('--output-dir', 'gs://my-bucket/out', '--serving-gsa',
           'tf-serving@my-project.iam.gserviceaccount.com')
RECIPE = "must be a whole number of at least 0 (0: the recipe's own)"

CASES = [
    # run: every option of PipelineConfig.
    (('run', '--epochs', '-3'), f"--epochs -3: {RECIPE}. Nothing was run."),
    (('run', '--epochs', 'abc'), "argument --epochs: invalid int value: 'abc'"),
    (('run', '--epochs', '2.5'), "argument --epochs: invalid int value: '2.5'"),
    (('run', '--train-limit', '-1'), '--train-limit -1: must be a whole number of at least 0'),
    (('run', '--span-window', '0'), '--span-window 0: must be a whole number of at least 1.'),
    (('run', '--accuracy-threshold', '1.5'), '--accuracy-threshold 1.5: must be a number from '
     '0 to 1. Nothing was run.'),
    (('run', '--accuracy-threshold', 'nan'), '--accuracy-threshold nan: must be a number from'),
    (('run', '--digit-accuracy-floor', '-0.1'), '--digit-accuracy-floor -0.1: must be a number'),
    (('run', '--max-regression', '2'), '--max-regression 2.0: must be a number from 0 to 1'),
    (('run', '--label-drift', '1.01'), '--label-drift 1.01: must be a number from 0 to 1'),
    (('run', '--pixel-drift', '1.5'), '--pixel-drift 1.5: must be a number from 0 to 1 (a '
     'Jensen-Shannon divergence, log base 2 as in TFDV)'),
    (('run', '--canary-max-latency-ms', '0'), '--canary-max-latency-ms 0.0: must be a number '
     'more than 0 ms'),
    (('run', '--canary-max-latency-ms', 'inf'), '--canary-max-latency-ms inf: must be'),
    (('run', '--seed', '-1'), '--seed -1: must be a whole number from 0 to 4294967295'),
    (('run', '--seed', str(2**32)), f'--seed {2**32}: must be a whole number from 0 to'),
    (('run', '--recipe', 'slow'), "argument --recipe: invalid choice: 'slow'"),
    (('run', '--precision', 'float64'), "argument --precision: invalid choice: 'float64'"),
    (('run', '--output-dir', ''), "--output-dir '': must name a folder"),
    (('run', '--output-dir', FILE), f"--output-dir '{FILE}': is a file; must be a folder"),
    (('run', '--output-dir', f'{FILE}/outputs'), f"--output-dir '{FILE}/outputs': {FILE} is "
     'a file'),
    (('run', '--no-such-flag'), 'unrecognized arguments: --no-such-flag'),
    (('rnu',), "argument command: invalid choice: 'rnu'"),
    # The other local commands.
    (('add-span', 'batch', '--data-root', FILE), f"--data-root '{FILE}': is a file"),
    (('history', '--output-dir', FILE), f"--output-dir '{FILE}': is a file"),
    (('history', '--lineage', 'v1'), "--lineage 'v1': must be a version number"),
    (('rollback', '../serving/1'), "VERSION '../serving/1': must be a version number"),
    (('predict', 'digit.png', '--output-dir', FILE), f"--output-dir '{FILE}': is a file"),
    # Kubeflow: KubeflowConfig, the paths, the backend's flags, the schedule.
    (('kubeflow', 'compile', '--image', 'x'), 'missing --data-root (gs://BUCKET/FOLDER of the '
     'spans: the pods share no disk, only the bucket); --output-dir ('),
    (('kubeflow', 'compile', *CLUSTER, '--eval-root', '/data/t10k'), "--eval-root '/data/t10k'"
     ': must be a gs:// path on Kubeflow'),
    (('kubeflow', 'compile', *CLUSTER, '--image', ''), 'missing --image (the image built from '
     'kubeflow/Dockerfile'),
    (('kubeflow', 'compile', *CLUSTER, '--image', 'my image'), "--image 'my image': must be"),
    (('kubeflow', 'compile', *CLUSTER, '--gpu-count', '-1'), '--gpu-count -1: must be a whole '
     'number of at least 0 (0: a CPU node)'),
    (('kubeflow', 'compile', *CLUSTER, '--gpu-type', 'nvidia tesla'), "--gpu-type 'nvidia "
     "tesla': must be a Kubernetes label value"),
    (('kubeflow', 'compile', *CLUSTER, '--trainer-cpu', '0'), '--trainer-cpu 0.0: must be a '
     'number more than 0 cores'),
    (('kubeflow', 'compile', *CLUSTER, '--trainer-memory-gb', '-2'), '--trainer-memory-gb '
     '-2.0: must be a number more than 0 GB'),
    (('kubeflow', 'compile', *CLUSTER, '--beam-runner', 'Flink'), "argument --beam-runner: "
     "invalid choice: 'Flink'"),
    (('kubeflow', 'compile', *CLUSTER, '--beam-runner', 'DataflowRunner'), 'missing '
     '--dataflow-project (the Google Cloud project of the Dataflow jobs, with --beam-runner '
     'DataflowRunner)'),
    (('kubeflow', 'compile', *CLUSTER, '--dataflow-project', 'My_Project'), "--dataflow-project"
     " 'My_Project': must be a Google Cloud project ID"),
    (('kubeflow', 'compile', *CLUSTER, '--dataflow-region', 'Iowa'), "--dataflow-region 'Iowa'"
     ': must be a Google Cloud region'),
    (('kubeflow', 'compile', *CLUSTER, '--dataflow-machine-type', 'n1 standard'),
     "--dataflow-machine-type 'n1 standard': must be a Compute Engine machine type"),
    (('kubeflow', 'compile', *CLUSTER, '--dataflow-max-workers', '0'), '--dataflow-max-workers'
     ' 0: must be a whole number of at least 1'),
    (('kubeflow', 'compile', *CLUSTER, '--package', 'spec.json'), "--package 'spec.json': must"
     ' end in .yaml'),
    (('kubeflow', 'compile', *CLUSTER, '--epochs', '-3'), f'--epochs -3: {RECIPE}'),
    (('kubeflow', 'run', *CLUSTER), 'missing --host (or $KF_PIPELINES_ENDPOINT: the Kubeflow '
     'Pipelines API'),
    (('kubeflow', 'run', *CLUSTER, '--host', 'ftp://kfp'), "--host 'ftp://kfp': must be an "
     'http:// or https:// URL'),
    (('kubeflow', 'run', *CLUSTER, '--host', 'http://kfp:port'), "--host 'http://kfp:port':"),
    (('kubeflow', 'run', *BACKEND, '--namespace', 'Team_A'), "--namespace 'Team_A': must be a "
     'Kubernetes namespace'),
    (('kubeflow', 'run', *BACKEND, '--service-account', 'Runner'), "--service-account "
     "'Runner': must be a Kubernetes service account name"),
    (('kubeflow', 'run', *BACKEND, '--experiment', ' '), "--experiment ' ': must name an "
     'experiment'),
    (('kubeflow', 'schedule', *BACKEND, '--cron', 'bad'), "--cron 'bad': has 1 field, not 6; "
     'must be 6 cron fields, seconds first'),
    (('kubeflow', 'schedule', *BACKEND, '--cron', '0 3 * * 1'), "--cron '0 3 * * 1': has 5 "
     'fields: Kubeflow Pipelines would read the first as seconds'),
    (('kubeflow', 'schedule', *BACKEND, '--cron', '0 0 3 * * 7'), "--cron '0 0 3 * * 7': day "
     "of week '7': out of range, day of week runs 0-6"),
    (('kubeflow', 'serving', '--gpu-count', '-1'), 'unrecognized arguments: --gpu-count -1'),
    # serving: its fields, checked as every field is, and what the command needs.
    (('kubeflow', 'serving', *SERVING, '--output-dir', 'gs://b/out'), "--output-dir "
     "'gs://b/out': bucket 'b' is too short: Cloud Storage bucket names are 3 to 63 characters "
     '(up to 222 with dots)'),
    (('kubeflow', 'serving', *SERVING, '--serving-gsa', ''), 'missing --serving-gsa (the Google '
     'service account the TF Serving pods read the bucket as)'),
    (('kubeflow', 'serving', *SERVING, '--serving-memory-limit-gib', '0.5'),
     '--serving-memory-limit-gib 0.5: must be at least --serving-memory-request-gib (1.0 GiB)'),
    (('kubeflow', 'serving', *SERVING, '--serving-package', 'serving.json'), "--serving-package"
     " 'serving.json': must end in .yaml or .yml"),
    (('kubeflow', 'serving', *SERVING, '--serving-replicas', '0'), '--serving-replicas 0: must '
     'be a whole number of at least 1'),
    (('kubeflow', 'serving', *SERVING, '--serving-gsa', 'me@gmail.com'), "--serving-gsa "
     "'me@gmail.com': must be a Google service account email"),
    # Each command takes the flags of what it reads: serving's are not compile's.
    (('kubeflow', 'compile', *CLUSTER, '--serving-replicas', '0'), 'unrecognized arguments: '
     '--serving-replicas 0'),
]


@pytest.mark.parametrize('argv, line', CASES, ids=[' '.join(argv) for argv, _ in CASES])
def test_a_bad_option_is_one_line_exit_2_and_nothing_written(argv, line, tmp_path,
                                                              monkeypatch, capsys):
  monkeypatch.chdir(tmp_path)
  monkeypatch.delenv('KF_PIPELINES_ENDPOINT', raising=False)
  (tmp_path / FILE).write_text('not a folder\n')
  try:
    status = cli.main(list(argv))
  except SystemExit as e:  # argparse's own refusals: a wrong type, an unknown choice or flag.
    status = e.code
  err = capsys.readouterr().err
  assert status == cli.EXIT_BAD_OPTION == 2
  assert err.count('\n') == 1 and err.startswith('error: '), err
  assert line in err
  assert os.listdir(tmp_path) == [FILE]  # No output folder, no log, no lock, no spec.


def test_a_refusal_imports_neither_tfx_nor_tensorflow(tmp_path):
  """The check runs before the half minute of importing TFX and TensorFlow, for every command."""
  script = (
      'import sys\n'
      'from mnist_tfx.app import cli\n'
      'for argv in (["run", "--epochs", "-3"], ["kubeflow", "schedule", "--cron", "bad"],\n'
      '             ["rollback", "x"], ["run", "--data-root", "missing"],\n'
      '             ["kubeflow", "serving", "--serving-replicas", "0"]):\n'
      '  assert cli.main(argv) == 2, argv\n')
  _, imported = run_fresh(script, cwd=tmp_path)
  assert imported == []
  assert not os.listdir(tmp_path)


def test_every_default_is_allowed():
  for config in (configs.PipelineConfig(), kubeflow_configs.KubeflowConfig(image='x')):
    for field in dataclasses.fields(config):
      allowed = field.metadata.get('allowed')
      if allowed is not None:
        allowed.check(field.name, getattr(config, field.name))


# Checked elsewhere before anything runs: the data paths by preflight (as bad input data).
CHECKED_ELSEWHERE = ('data_root', 'eval_root')


@pytest.mark.parametrize('config_class', [configs.PipelineConfig, kubeflow_configs.KubeflowConfig])
def test_every_option_declares_what_it_allows(config_class):
  """A new option without a range would be taken as typed: here it must say what it allows."""
  for field in dataclasses.fields(config_class):
    if 'help' not in field.metadata or field.type is bool:
      continue
    if field.name in CHECKED_ELSEWHERE:
      continue
    assert field.metadata['allowed'] or field.metadata['choices'], field.name


def test_the_edges_of_each_range_are_allowed(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  for flags in (('--accuracy-threshold', '1'), ('--max-regression', '0'), ('--seed', '0'),
                ('--seed', str(2**32 - 1)), ('--pixel-drift', '1'), ('--epochs', '0'),
                ('--canary-max-latency-ms', '0.5'), ('--output-dir', 'new/outputs')):
    options.check(cli._parser().parse_args(['run', *flags]))  # pylint: disable=protected-access
  assert not os.listdir(tmp_path)


@pytest.mark.parametrize('expression', [
    '0 0 3 * * 1', '0 0 9 ? * 2-6', '*/15 * * * * *', '0 30 1-5/2 * jan,JUL mon-fri',
    '0 0 0 1 */3 ?', '5/10 0 12 15 6 *', '@daily', '@midnight', '@every 1h30m', '@every 90s'])
def test_cron_takes_what_the_backend_takes_with_six_fields(expression):
  cron.check(expression)


@pytest.mark.parametrize('expression, problem', [
    ('', 'has 0 fields'),
    ('0 0 3 * * 1 2020', 'has 7 fields'),
    ('0 60 * * * *', "minute '60': out of range"),
    ('0 0 24 * * *', "hour '24': out of range"),
    ('0 0 0 32 * *', "day of month '32': out of range"),
    ('0 0 0 1 13 *', "month '13': out of range"),
    ('0 0 0 1 foo *', "month 'foo': not a number or a name"),
    ('0 5-2 * * * *', 'must not end before it begins'),
    ('0 */0 * * * *', 'the step must be a number more than 0'),
    ('0 1/2/3 * * * *', 'too many slashes'),
    ('0 -1 * * * *', "minute '-1': not a number"),
    ('@every 1 hour', 'not a descriptor'),
    ('@sometimes', 'not a descriptor'),
])
def test_cron_refuses_what_the_backend_refuses(expression, problem):
  with pytest.raises(OptionError, match=problem.replace('*', r'\*')):
    cron.check(expression)


CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The commands that read what runs wrote: each refuses a folder no run wrote.
READERS = (('history',), ('history', '--lineage', '1'), ('status',), ('status', '--json'),
           ('rollback', '1'))


@pytest.mark.parametrize('argv', READERS, ids=[' '.join(argv) for argv in READERS])
def test_a_folder_no_run_wrote_is_refused_in_one_line_and_left_as_it_was(
    argv, tmp_path, capsys):
  """Before, history on a mistyped folder said `No runs yet` and exited 0, and rollback made
  the folder and left its lock there."""
  empty = tmp_path / 'empty'
  empty.mkdir()
  (empty / 'notes.txt').write_text('not a run\n')
  for folder, problem in ((tmp_path / 'missing', 'no such folder'),
                          (empty, 'holds no pipeline store (no metadata.sqlite or serving/)')):
    assert cli.main([*argv, '--output-dir', str(folder)]) == cli.EXIT_FAILED == 1
    err = capsys.readouterr().err
    assert err.startswith(f'error: {folder}: {problem}, so no run wrote there') and (
        err.count('\n') == 1), err
  assert sorted(os.listdir(tmp_path)) == ['empty']
  assert os.listdir(empty) == ['notes.txt']


def test_refusing_a_folder_no_run_wrote_imports_neither_tfx_nor_tensorflow(tmp_path):
  script = (
      'import sys\n'
      'from mnist_tfx.app import cli\n'
      f'for argv in {[list(argv) for argv in READERS]!r}:\n'
      '  assert cli.main([*argv, "--output-dir", "missing"]) == 1, argv\n')
  _, imported = run_fresh(script, cwd=tmp_path)
  assert imported == []
  assert not os.listdir(tmp_path)


def test_defaults_are_the_checkouts_whatever_the_current_folder(tmp_path):
  """From another folder, bin/run and the installed command both read and write beside the
  project; $MNIST_TFX_HOME moves both."""
  script = ('from mnist_tfx.app import cli\n'
            'for argv in (["run"], ["history"], ["status"], ["add-span", "x"]):\n'
            '  args = cli._parser().parse_args(argv)\n'  # pylint: disable=protected-access
            '  print(getattr(args, "output_dir", None), getattr(args, "data_root", None))\n')
  environment = {name: value for name, value in os.environ.items()
                 if name != configs.HOME_VARIABLE}
  found = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, env=environment,
                         capture_output=True, text=True, timeout=60, check=True).stdout
  outputs, data = os.path.join(CHECKOUT, 'outputs'), os.path.join(CHECKOUT, 'data', 'mnist')
  assert found.splitlines() == [f'{outputs} {data}', f'{outputs} None', f'{outputs} None',
                                f'None {data}']
  help_text = subprocess.run([os.path.join(CHECKOUT, 'bin', 'run'), '--help'], cwd=tmp_path,
                             env=environment, capture_output=True, text=True, timeout=300,
                             check=True).stdout
  # argparse wraps help at spaces and after hyphens (textwrap): a checkout named mnist-tfx
  # can come out as `.../mnist-` and `tfx/outputs` on two lines.
  assert f'(default:{outputs})' in ''.join(help_text.split())
  home = tmp_path / 'home'
  moved = subprocess.run([sys.executable, '-c', script], cwd=tmp_path,
                         env={**environment, configs.HOME_VARIABLE: str(home)},
                         capture_output=True, text=True, timeout=60, check=True).stdout
  assert moved.splitlines()[0] == f'{home / "outputs"} {home / "data" / "mnist"}'
  assert os.listdir(tmp_path) == []  # Nothing made, here or in the home.


def test_version_is_pyprojects(capsys):
  with open(os.path.join(CHECKOUT, 'pyproject.toml')) as f:
    version = re.search(r'^version = "(.+)"$', f.read(), re.MULTILINE).group(1)
  with pytest.raises(SystemExit) as exited:
    cli.main(['--version'])
  assert exited.value.code == cli.EXIT_OK == 0
  assert capsys.readouterr().out == f'mnist-pipeline {version}\n'


def test_seed_help_says_what_it_takes(tmp_path, monkeypatch, capsys):
  """It said `(None: drawn at random)`, and `--seed None` was refused."""
  with pytest.raises(SystemExit):
    cli.main(['run', '--help'])
  text = ' '.join(capsys.readouterr().out.split())
  assert f'--seed SEED seed for weights and shuffling, a whole number from 0 to {2**32 - 1}: ' \
         'on one CPU machine, the same data and seed train the same model' in text
  assert 'left out, one is drawn at random' in text
  assert 'None: drawn' not in text
  monkeypatch.chdir(tmp_path)
  with pytest.raises(SystemExit) as refused:
    cli.main(['run', '--seed', 'None'])
  assert refused.value.code == cli.EXIT_BAD_OPTION
  assert "argument --seed: invalid int value: 'None'" in capsys.readouterr().err
