"""One writer per output folder: a second run refuses at once, and a killed holder frees it."""

import os
import signal
import subprocess
import sys
import time

import pytest

from mnist_tfx.app import run_lock
from tests.support.cli_runs import QUICK
from tests.support.cli_runs import mnist_pipeline
from tests.reliability.table import command_line

pytestmark = pytest.mark.full


def test_two_runs_started_at_once_one_runs_the_other_refuses(tmp_path, small_data_root, record):
  output_dir = tmp_path / 'outputs'
  args = [sys.executable, '-m', 'mnist_tfx.app.cli', 'run', '--data-root', str(small_data_root),
          '--output-dir', str(output_dir), *QUICK]
  runs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for _ in range(2)]
  try:
    deadline = time.time() + 120
    while all(run.poll() is None for run in runs) and time.time() < deadline:
      time.sleep(0.05)
    refused = next(run for run in runs if run.poll() is not None)
    running = next(run for run in runs if run is not refused)
    still_running = running.poll() is None
  finally:
    for run in runs:
      if run.poll() is None:
        run.send_signal(signal.SIGKILL)
      run.wait(timeout=60)
  message = refused.stderr.read().strip()
  record('two runs started at once on one output folder',
         'one runs; the other refuses at once with one line, exit 1',
         f'exit {refused.returncode}: `{message}`; the other still running: {still_running}',
         command_line('run', '--output-dir', output_dir, OUT=output_dir) + ' & (twice)')
  assert refused.returncode == 1 and still_running
  # 'another process' if the holder had the lock but had not yet written its pid.
  assert message.startswith((f'error: {output_dir} is in use by pid {running.pid} ',
                             f'error: {output_dir} is in use by another process'))
  assert len(message.splitlines()) == 1 and message.endswith('Nothing was run.')


def test_a_second_run_on_a_held_output_folder_refuses_and_writes_nothing(
    tmp_path, small_data_root, record):
  output_dir = tmp_path / 'outputs'
  with run_lock.hold(str(output_dir)):
    started = time.time()
    result = mnist_pipeline('run', '--data-root', small_data_root, '--output-dir', output_dir,
                            *QUICK)  # Fresh: the refusal must come before TFX loads.
    seconds = time.time() - started
  record('a run on an output folder another process holds',
         'refused before TFX loads, one line naming the holder, exit 1; nothing written',
         f'exit {result.returncode} after {seconds:.1f} s: `{result.stderr.strip()}`; folder '
         f'holds {sorted(os.listdir(output_dir))}',
         command_line('run', '--output-dir', output_dir, OUT=output_dir))
  assert result.returncode == 1
  assert f'is in use by pid {os.getpid()}' in result.stderr
  assert 'Nothing was run.' in result.stderr
  assert sorted(os.listdir(output_dir)) == [run_lock.LOCK_FILE]  # No store, logs or serving.
  assert seconds < 60  # Refused before TensorFlow or TFX loaded, not after a run.


def test_a_rollback_refuses_while_a_run_holds_the_folder(tmp_path):
  output_dir = tmp_path / 'outputs'
  with run_lock.hold(str(output_dir)):
    result = subprocess.run(
        [sys.executable, '-m', 'mnist_tfx.app.cli', 'rollback', '1', '--output-dir', str(output_dir)],
        capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 1
  last_line = result.stderr.strip().splitlines()[-1]  # After TensorFlow's import noise.
  assert last_line.startswith(f'error: {output_dir} is in use by pid {os.getpid()}')


def test_a_holder_killed_by_sigkill_frees_the_folder(tmp_path, record):
  output_dir = str(tmp_path / 'outputs')
  holder = subprocess.Popen(
      [sys.executable, '-c', 'import sys, time\nfrom mnist_tfx.app import run_lock\n'
       'with run_lock.hold(sys.argv[1]):\n  print("held", flush=True)\n  time.sleep(600)',
       output_dir], stdout=subprocess.PIPE, text=True)
  assert holder.stdout.readline().strip() == 'held'
  try:
    with run_lock.hold(output_dir):
      raise AssertionError('the folder was free while another process held it')
  except run_lock.Busy as busy:
    assert f'pid {holder.pid}' in str(busy)
  holder.send_signal(signal.SIGKILL)
  holder.wait(timeout=30)
  with run_lock.hold(output_dir):  # The kernel released the dead holder's lock.
    record('the holder of an output folder killed by SIGKILL',
           'the folder is free at once (the kernel drops the flock)', 'free at once', '')


def test_an_object_store_folder_takes_no_lock_and_makes_no_local_folder(tmp_path, monkeypatch):
  """`rollback --output-dir gs://...`: before, a local folder `gs:` was made and locked."""
  monkeypatch.chdir(tmp_path)
  with run_lock.hold('gs://bucket/mnist-tfx'):
    with run_lock.hold('gs://bucket/mnist-tfx'):  # Nothing to hold: no Busy either.
      pass
  assert os.listdir(tmp_path) == []
