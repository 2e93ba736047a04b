"""ComponentId.ORDER (lib/contracts.py), which the summary, `history` and the tests list the
components by, must be the pipeline's own order: TFX's topological sort of the wiring in
pipeline/pipeline.py (each layer by id), which a local run follows. lib/ cannot import the
pipeline, so the order is written there by hand and checked here, without running it.
(tests/pipeline/test_local_run.py checks a real run's order, in the full tier.)"""

from mnist_tfx.lib.contracts import ComponentId

# pylint: disable=g-import-not-at-top  (TFX loads inside the test, not at collection.)


def test_the_order_is_the_pipelines(tmp_path):
  from mnist_tfx.pipeline import configs
  from mnist_tfx.pipeline import pipeline
  built = pipeline.create_pipeline(configs.PipelineConfig(output_dir=str(tmp_path / 'outputs')))
  assert [component.id for component in built.components] == list(ComponentId.ORDER)
