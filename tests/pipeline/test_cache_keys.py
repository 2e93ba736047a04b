"""The cache keys (pipeline/cache_keys.py) reach TFX's cache: change the data, the code or the
served model's damage, and TFX's own cache key of the component that must run again changes.

Computed as a local run's launcher computes it (tfx/orchestration/portable/launcher.py,
_prepare_execution then cache_utils.get_cache_context, TFX 1.16): the compiled node's
parameters, resolved, hashed with the node and the pipeline. Inputs are left out: they
are the same on both sides, so only a parameter can tell the two apart. A component
that stopped passing its key would find its cache key unchanged here. (The full tier
runs these changes for real: tests/pipeline/test_retraining.py a new span,
tests/reliability/test_crashes.py a damaged served version.)
"""

import pytest

from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.pipeline import cache_keys

# pylint: disable=g-import-not-at-top  (TFX loads inside the tests, not at collection.)

_BASE = cache_keys.CacheKeys(data='data-1', code='code-1', served='')
_CHANGES = {
    'data': (cache_keys.CacheKeys(data='data-2', code='code-1', served=''),
             {ComponentId.IDX_EXAMPLE_GEN}),
    'code': (cache_keys.CacheKeys(data='data-1', code='code-2', served=''),
             # RunReport too: its page names the code's fingerprint (the Trainer's settings).
             {ComponentId.TRANSFORM, ComponentId.TRAINER, ComponentId.RUN_REPORT}),
    'served model damaged': (
        cache_keys.CacheKeys(data='data-1', code='code-1', served='1/saved_model.pb: missing'),
        {ComponentId.SERVED_MODEL}),
}


@pytest.fixture(scope='module')
def store(tmp_path_factory):
  from tfx.orchestration import metadata
  path = str(tmp_path_factory.mktemp('metadata') / 'metadata.sqlite')
  with metadata.Metadata(metadata.sqlite_metadata_connection_config(path)) as handle:
    yield handle


def _cache_keys(store, keys: cache_keys.CacheKeys, output_dir) -> dict:
  """{component id: TFX's cache context name} for a pipeline built with these keys."""
  from tfx.dsl.compiler import compiler
  from tfx.orchestration.portable import cache_utils
  from tfx.orchestration import data_types_utils
  from tfx.orchestration.portable import inputs_utils
  from mnist_tfx.pipeline import configs
  from mnist_tfx.pipeline import pipeline
  ir = compiler.Compiler().compile(
      pipeline.create_pipeline(configs.PipelineConfig(output_dir=str(output_dir)), keys))
  found = {}
  for node in ir.nodes:
    node = node.pipeline_node
    parameters = data_types_utils.build_parsed_value_dict(
        inputs_utils.resolve_parameters_with_schema(node_parameters=node.parameters))
    found[node.node_info.id] = cache_utils.get_cache_context(
        store, node, ir.pipeline_info, parameters=parameters).name
  return found


@pytest.mark.parametrize('change', sorted(_CHANGES))
def test_a_change_reruns_the_components_it_keys_and_no_other(store, tmp_path, change):
  keys, affected = _CHANGES[change]
  before = _cache_keys(store, _BASE, tmp_path)
  after = _cache_keys(store, keys, tmp_path)
  assert set(before) == set(ComponentId.ORDER)
  assert {node for node in before if before[node] != after[node]} == affected


def test_unchanged_keys_give_the_same_cache_keys(store, tmp_path):
  assert _cache_keys(store, _BASE, tmp_path) == _cache_keys(store, _BASE, tmp_path)
