"""One writer per output folder: a second run refuses at once, and a killed holder frees it."""

import os
import signal
import subprocess
import sys
import time

from pipeline import run_lock
from tests.pipeline.cli_runs import QUICK
from tests.pipeline.cli_runs import run_cli


def test_a_second_run_on_a_held_output_folder_refuses_and_writes_nothing(
    tmp_path, small_data_root):
  output_dir = tmp_path / 'outputs'
  with run_lock.hold(str(output_dir)):
    started = time.time()
    result = run_cli(small_data_root, output_dir, *QUICK)
    seconds = time.time() - started
  assert result.returncode == 1
  assert f'is in use by pid {os.getpid()}' in result.stderr
  assert 'Nothing was run.' in result.stderr
  assert sorted(os.listdir(output_dir)) == [run_lock.LOCK_FILE]  # No store, logs or serving.
  assert seconds < 60  # Refused before TensorFlow or TFX loaded, not after a run.


def test_a_rollback_refuses_while_a_run_holds_the_folder(tmp_path):
  output_dir = tmp_path / 'outputs'
  with run_lock.hold(str(output_dir)):
    result = subprocess.run(
        [sys.executable, '-m', 'pipeline.cli', 'rollback', '1', '--output-dir', str(output_dir)],
        capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 1
  last_line = result.stderr.strip().splitlines()[-1]  # After TensorFlow's import noise.
  assert last_line.startswith(f'error: {output_dir} is in use by pid {os.getpid()}')


def test_a_holder_killed_by_sigkill_frees_the_folder(tmp_path):
  output_dir = str(tmp_path / 'outputs')
  holder = subprocess.Popen(
      [sys.executable, '-c', 'import sys, time\nfrom pipeline import run_lock\n'
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
    pass
