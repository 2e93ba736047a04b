"""The run record's readers: TFX's output keys as the installed TFX spells them, and the
record cheap to import (the summary of a no-change run formats it without TFX)."""

from mnist_tfx.lib import run_record
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.lib.contracts import Output
from tests.support.fresh import run_fresh


def test_tfxs_output_keys_are_the_installed_tfxs():
  from tfx.types import standard_component_specs  # pylint: disable=g-import-not-at-top
  assert Output.MODEL == standard_component_specs.MODEL_KEY
  assert Output.MODEL_RUN == standard_component_specs.MODEL_RUN_KEY
  assert Output.TRANSFORM_GRAPH == standard_component_specs.TRANSFORM_GRAPH_KEY
  assert Output.EVALUATION == standard_component_specs.EVALUATION_KEY
  assert Output.BLESSING == standard_component_specs.BLESSING_KEY
  assert Output.PUSHED_MODEL == standard_component_specs.PUSHED_MODEL_KEY


def test_a_failed_gate_is_the_records_stop_and_a_component_without_reader_adds_nothing():
  record = run_record.RunRecord()
  run_record.read_outputs(record, ComponentId.DATA_GATE, {}, failed=True)
  run_record.read_outputs(record, ComponentId.TRANSFORM, {}, failed=False)
  assert record == run_record.RunRecord(data_error='stopped by DataGate (anomalies or drift)')


def test_the_record_imports_neither_tensorflow_nor_tfx():
  _, imported = run_fresh('from mnist_tfx.lib import run_record\n'
                          'from mnist_tfx.app import summary\n')
  assert imported == []


def test_custom_properties_read_locally_and_as_kubeflow_hands_them_to_a_step():
  """A local run's store holds plain values. Kubeflow hands a step the metadata of its inputs
  as JSON, which the entrypoint turns into structs around each value, numbers as floats
  (kubeflow/entrypoint_utils.py, as TFX's kubeflow_v2_entrypoint_utils): the stand-in's
  RunReport step met them (tests/kubeflow/test_pipeline_on_backend.py)."""
  # pylint: disable=g-import-not-at-top,protected-access
  from ml_metadata.proto import metadata_store_pb2
  from tfx.types import artifact as tfx_artifact
  local, kubeflow = metadata_store_pb2.Artifact(), metadata_store_pb2.Artifact()
  local.custom_properties['pushed_version'].string_value = '1765000000'
  local.custom_properties['pushed'].int_value = 1
  for key, value in (('pushed_version', '1765000000'), ('pushed', 1.0)):
    kubeflow.custom_properties[key].struct_value.CopyFrom(tfx_artifact._encode_struct_value(value))
  for proto in (local, kubeflow):
    assert run_record._text(proto, 'pushed_version') == '1765000000'
    assert run_record._int(proto, 'pushed') == 1
    assert run_record._text(proto, 'absent') is None
