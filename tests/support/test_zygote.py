"""A command forked warm (tests/support/zygote.py) answers as the same command started
fresh: exit status, stdout and its error line, paths resolved against the same folder;
and it dies of a signal as a subprocess does. (Every full-tier story runs this way.)"""

import os
import signal

import pytest

from tests.support.cli_runs import mnist_pipeline
from tests.support.cli_runs import start_cli

pytestmark = pytest.mark.full


def test_a_warm_command_answers_as_a_fresh_one(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)  # The relative paths below resolve against the caller's folder.
  (tmp_path / 'data').mkdir()
  args = ('run', '--data-root', 'data', '--output-dir', 'outputs', '--epochs', '1')
  fresh = mnist_pipeline(*args)
  warm = start_cli(*args).result(timeout=300)
  assert fresh.returncode == 2  # Bad input data: the folder holds no MNIST files.
  assert 'data: no train-images' in fresh.stderr  # Found the folder: it is there, but empty.
  assert (warm.returncode, warm.stdout) == (fresh.returncode, fresh.stdout)
  assert warm.stderr.strip().splitlines()[-1] == fresh.stderr.strip().splitlines()[-1]


def test_a_warm_run_killed_by_a_signal_ends_as_a_subprocess_does(tmp_path, tiny_data_root):
  run = start_cli('run', '--data-root', tiny_data_root, '--output-dir', tmp_path / 'outputs')
  first = next(run.lines())
  run.send_signal(signal.SIGKILL)
  result = run.result(timeout=60)
  assert first.startswith('mnist-pipeline: data ')
  assert result.returncode == -signal.SIGKILL
  assert os.path.isdir(tmp_path / 'outputs')
