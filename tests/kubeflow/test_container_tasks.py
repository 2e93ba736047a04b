"""The compiled tasks' own commands, run on this machine as the cluster would run them.

Proves that the image's entrypoint, the compiled arguments and our executors fit
together, for the ingestion and the Beam-based steps up to Transform.
"""

import concurrent.futures
import json
import os

import pytest
import yaml

from kubeflow import compiler
from pipeline import configs
from tests.kubeflow import kfp_launcher


@pytest.fixture(scope='module')
def compiled(tmp_path_factory, small_data_root):
  """A spec compiled for local paths: the data slice in, a local folder as the output."""
  out = tmp_path_factory.mktemp('kubeflow_local')
  config = configs.PipelineConfig(data_root=str(small_data_root),
                                  output_dir=str(out / 'outputs'))
  package = compiler.compile_pipeline(
      config, configs.KubeflowConfig(image='mnist-tfx:test', package=str(out / 'spec.yaml')))
  with open(package) as f:
    spec = next(yaml.safe_load_all(f))
  return spec, config, out


def test_compiling_writes_nothing_to_the_pipeline_root(compiled):
  _, config, _ = compiled
  assert not os.path.exists(config.output_dir)


def test_ingestion_statistics_and_transform_run_from_the_compiled_commands(compiled):
  spec, _, out = compiled
  root = str(out / 'pipeline_root')
  done = {}
  # Two at a time, as the DAG allows: each process spends about 20 s importing TFX.
  for wave in (('IdxExampleGen', 'ImportSchemaGen'), ('StatisticsGen', 'Transform')):
    with concurrent.futures.ThreadPoolExecutor(len(wave)) as pool:
      results = {task: pool.submit(kfp_launcher.run_task, spec, task, root, dict(done))
                 for task in wave}
    done.update({task: result.result() for task, result in results.items()})

  examples = done['IdxExampleGen']['artifacts']['examples']['artifacts'][0]
  assert json.loads(examples['metadata']['example_counts']) == {'train': 5000, 'eval': 1000}
  for split in ('train', 'eval'):
    assert os.listdir(os.path.join(examples['uri'], f'Split-{split}'))
    statistics = done['StatisticsGen']['artifacts']['statistics']['artifacts'][0]['uri']
    assert os.path.exists(os.path.join(statistics, f'Split-{split}', 'FeatureStats.pb'))
  graph = done['Transform']['artifacts']['transform_graph']['artifacts'][0]['uri']
  assert os.path.exists(os.path.join(graph, 'transform_fn', 'saved_model.pb'))
  transformed = done['Transform']['artifacts']['transformed_examples']['artifacts'][0]['uri']
  assert os.listdir(os.path.join(transformed, 'Split-train'))
