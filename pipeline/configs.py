"""The pipeline's configuration: one typed object with defaults.

The command line maps onto it one flag per field; the Kubeflow runner uses the
same object with gs:// paths. Paths derived from output_dir are properties, so
no value is kept twice.
"""

import dataclasses
import os
from typing import List, Optional

PIPELINE_NAME = 'mnist-tfx'
SCHEMA_PATH = os.path.join(os.path.dirname(__file__), 'schema', 'schema.pbtxt')

# User code, by module path: the package is installed, so TFX builds no wheel of it.
PREPROCESSING_FN = 'trainer_module.preprocessing.preprocessing_fn'
RUN_FN = 'trainer_module.trainer.run_fn'

# The in-memory DirectRunner: on two cores it was the fastest Beam mode measured
# (multi-processing paid seconds of process start-up per component).
LOCAL_BEAM_ARGS = ('--runner=DirectRunner', '--direct_running_mode=in_memory',
                   '--direct_num_workers=1')


def _field(default, help_text: str):
  return dataclasses.field(default=default, metadata={'help': help_text})


@dataclasses.dataclass
class PipelineConfig:
  """What a run reads, writes, and how strict its gate is."""
  data_root: str = _field(
      'data/mnist', 'folder of IDX files: train-* (train split), t10k-* (eval split)')
  output_dir: str = _field(
      'outputs', 'everything a run writes: artifacts, ML Metadata, serving directory, logs')
  epochs: int = _field(
      10, 'training epochs (10 reach about 99.4%% test accuracy with the course schedule)')
  train_limit: int = _field(0, 'if > 0, train on only the first N examples (quick runs)')
  accuracy_threshold: float = _field(0.99, 'overall test accuracy needed to be blessed')
  digit_accuracy_floor: float = _field(
      0.98, "each digit's own accuracy floor (lower: one digit at 0.985 is normal noise)")
  max_regression: float = _field(
      0.0, 'how much less accurate than the served model a new one may be')
  seed: Optional[int] = _field(None, 'seed for weights and shuffling (None: drawn at random)')
  beam_pipeline_args: List[str] = dataclasses.field(
      default_factory=lambda: list(LOCAL_BEAM_ARGS))

  @property
  def pipeline_root(self) -> str:
    return os.path.join(self.output_dir, 'pipeline')

  @property
  def metadata_path(self) -> str:
    return os.path.join(self.output_dir, 'metadata.sqlite')

  @property
  def serving_dir(self) -> str:
    """The TF Serving model base path: numbered versions below it."""
    return os.path.join(self.output_dir, 'serving')

  @property
  def log_dir(self) -> str:
    return os.path.join(self.output_dir, 'logs')
