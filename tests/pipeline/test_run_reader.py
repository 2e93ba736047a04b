"""The run reader without TFX: TFX's names it spells, and artifacts found in a moved folder."""

from ml_metadata.proto import metadata_store_pb2

from mnist_tfx.pipeline import run_reader


def test_tfx_names_spelt_in_the_run_reader_are_the_installed_tfxs():
  # pylint: disable=g-import-not-at-top
  from tfx.dsl.compiler import constants
  from tfx.orchestration.portable import outputs_utils
  from tfx.proto.orchestration import pipeline_pb2
  from tfx.types import standard_artifacts
  # pylint: enable=g-import-not-at-top
  assert run_reader.PUSHED_MODEL_TYPE == standard_artifacts.PushedModel.TYPE_NAME
  assert run_reader.RUN_CONTEXT == constants.PIPELINE_RUN_CONTEXT_TYPE_NAME
  assert run_reader.NODE_CONTEXT == constants.NODE_CONTEXT_TYPE_NAME
  # The layout _here reads: <pipeline root>/<component id>/<output key>/<execution id>.
  spec = pipeline_pb2.PipelineRuntimeSpec()
  spec.pipeline_root.field_value.string_value = '/out/pipeline'
  output = pipeline_pb2.OutputSpec()
  output.artifact_spec.type.name = 'ModelEvaluation'
  [made] = outputs_utils.generate_output_artifacts(
      7, {'evaluation': output}, outputs_utils.get_node_dir(spec, 'Evaluator'))['evaluation']
  assert made.uri == '/out/pipeline/Evaluator/evaluation/7'


def _artifact(uri: str) -> metadata_store_pb2.Artifact:
  return metadata_store_pb2.Artifact(uri=uri)


def test_an_artifact_is_read_where_this_folder_holds_it(tmp_path):
  """A moved or copied folder's own copy, else where the store says the run wrote it."""
  recorded = '/was/here/outputs/pipeline/Evaluator/evaluation/7'
  root = tmp_path / 'outputs' / 'pipeline'
  assert run_reader._here(_artifact(recorded), 'Evaluator', 'evaluation', str(root)).uri == recorded
  (root / 'Evaluator' / 'evaluation' / '7').mkdir(parents=True)
  assert run_reader._here(_artifact(recorded), 'Evaluator', 'evaluation', str(root)).uri == str(
      root / 'Evaluator' / 'evaluation' / '7')
  elsewhere = '/data/mnist/span-1'  # Not in TFX's layout: as recorded.
  assert run_reader._here(_artifact(elsewhere), 'IdxExampleGen', 'examples', str(root)).uri == elsewhere
