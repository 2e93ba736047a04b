"""The spec the Kubeflow stand-in runs, compiled once per session for both of its modules."""

import pytest
import yaml

from tests.support.folders import once

# Each test's bucket is its own SQLite file; the name only has to match the spec's paths.
BUCKET = 'kfp-standin'


@pytest.fixture(scope='session')
def standin_spec(tmp_path_factory):
  """(spec, config): the pipeline compiled for the stand-in's bucket (ram://), for the tiny
  slice (tiny_data_root): one epoch, and a gate of 0, so that any model is blessed and pushed."""
  from mnist_tfx.kubeflow import compiler  # pylint: disable=g-import-not-at-top
  from mnist_tfx.kubeflow import configs as kubeflow_configs  # pylint: disable=g-import-not-at-top
  from mnist_tfx.pipeline import configs  # pylint: disable=g-import-not-at-top

  config = configs.PipelineConfig(
      data_root=f'ram://{BUCKET}/mnist', output_dir=f'ram://{BUCKET}/outputs', epochs=1, seed=7,
      accuracy_threshold=0.0, digit_accuracy_floor=0.0)

  def make(folder):
    return compiler.compile_pipeline(config, kubeflow_configs.KubeflowConfig(
        image='mnist-tfx:test', package=str(folder / 'spec.yaml')))
  _, package = once(tmp_path_factory, 'standin_spec', make)
  with open(package) as f:
    return next(yaml.safe_load_all(f)), config
