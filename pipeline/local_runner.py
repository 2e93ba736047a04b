"""Runs the pipeline on this machine with TFX's LocalDagRunner."""

import dataclasses
import os

from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import fingerprint


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
  from mnist_tfx.lib import serving_dir
  from mnist_tfx.pipeline import pipeline
  # pylint: enable=g-import-not-at-top

  os.makedirs(config.output_dir, exist_ok=True)
  served = serving_dir.latest_version(config.serving_dir)
  served_problem = serving_dir.problem(config.serving_dir, served) if served else None
  LocalDagRunner().run(
      pipeline.create_pipeline(
          config,
          data_fingerprint=fingerprint.data_fingerprint(config.data_root, config.eval_root),
          code_fingerprint=fingerprint.code_fingerprint(),
          served_problem=served_problem or '',
          metadata_connection_config=metadata.sqlite_metadata_connection_config(
              config.metadata_path)))
