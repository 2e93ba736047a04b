"""A disk that fills while the run ingests: one line naming the cause, nothing pushed.

(The disk that fills while the Pusher copies is a step of test_crashes.py's story.)
"""

import os

import pytest

from tests.reliability.table import command_line
from tests.support import idx_files
from tests.support.cli_runs import component_states
from tests.support.cli_runs import run_warm
from tests.support.folders import mount_small_disk

pytestmark = pytest.mark.full


def test_a_disk_that_fills_during_ingestion_stops_the_run_with_one_line(tmp_path, record):
  output_dir = tmp_path / 'outputs'
  output_dir.mkdir()
  unmount = mount_small_disk(str(output_dir), free_bytes=2 << 20)
  if unmount is None:
    pytest.skip('cannot mount a tmpfs here: needs root')
  try:
    args = ('run', '--data-root', idx_files.MNIST, '--output-dir', output_dir, '--epochs', '1')
    result = run_warm(*args)
    states = component_states(result.stdout)
    names = sorted(os.listdir(output_dir))
  finally:
    unmount()
  errors = [line for line in result.stdout.splitlines() if line.startswith('error:')]
  record('disk full during ingestion (output folder on a 2 MB tmpfs, all 70,000 digits)',
         'exit 1, one line naming the cause; nothing pushed',
         f'exit {result.returncode}; `{errors[0] if errors else "no error line"}`; '
         f'IdxExampleGen {states.get("IdxExampleGen")}; serving folder: '
         f'{"none" if "serving" not in names else "present"}',
         command_line(*args, OUT=output_dir) + '  # OUT on a 2 MB tmpfs')
  assert result.returncode == 1
  assert len(errors) == 1 and 'No space left on device' in errors[0], result.stderr
  assert errors[0].startswith(('error: IdxExampleGen failed:', 'error: the run failed:'))
  assert states.get('IdxExampleGen') in (None, 'FAILED')  # None: no room left to record it.
  assert 'serving' not in names
