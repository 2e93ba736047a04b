"""The run record's readers: TFX's output keys as the installed TFX spells them, and the
record cheap to import (the summary of a no-change run formats it without TFX)."""

import subprocess
import sys

from mnist_tfx.lib import run_record
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.lib.contracts import Output


def test_tfxs_output_keys_are_the_installed_tfxs():
  from tfx.types import standard_component_specs  # pylint: disable=g-import-not-at-top
  assert Output.MODEL_RUN == standard_component_specs.MODEL_RUN_KEY
  assert Output.EVALUATION == standard_component_specs.EVALUATION_KEY
  assert Output.BLESSING == standard_component_specs.BLESSING_KEY
  assert Output.PUSHED_MODEL == standard_component_specs.PUSHED_MODEL_KEY


def test_a_failed_gate_is_the_records_stop_and_a_component_without_reader_adds_nothing():
  record = run_record.RunRecord()
  run_record.read_outputs(record, ComponentId.DATA_GATE, {}, failed=True)
  run_record.read_outputs(record, ComponentId.TRANSFORM, {}, failed=False)
  assert record == run_record.RunRecord(data_error='stopped by DataGate (anomalies or drift)')


def test_the_record_imports_neither_tensorflow_nor_tfx():
  result = subprocess.run(
      [sys.executable, '-c',
       'import sys; from mnist_tfx.lib import run_record; from mnist_tfx.app import summary; '
       'print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "tfx")))'],
      capture_output=True, text=True, check=True)
  assert result.stdout.strip() == '[]'
