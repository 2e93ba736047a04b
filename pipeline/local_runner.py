"""Runs the pipeline on this machine with TFX's LocalDagRunner."""

import dataclasses
import os

from mnist_tfx.pipeline import cache_keys
from mnist_tfx.pipeline import configs


def absolute(config: configs.PipelineConfig) -> configs.PipelineConfig:
  """The same configuration with absolute paths, as ML Metadata records them."""
  return dataclasses.replace(
      config, data_root=os.path.abspath(config.data_root),
      eval_root=os.path.abspath(config.eval_root) if config.eval_root else '',
      output_dir=os.path.abspath(config.output_dir))


def run(config: configs.PipelineConfig) -> None:
  """Runs every component in order, in this process; raises if one fails."""
  # pylint: disable=g-import-not-at-top
  from tfx.orchestration import metadata
  from tfx.orchestration.local.local_dag_runner import LocalDagRunner
  from mnist_tfx.pipeline import pipeline
  # pylint: enable=g-import-not-at-top

  os.makedirs(config.output_dir, exist_ok=True)
  LocalDagRunner().run(
      pipeline.create_pipeline(
          config, cache_keys.for_local_run(config),
          metadata_connection_config=metadata.sqlite_metadata_connection_config(
              config.metadata_path)))
