"""Checks made before TFX starts, so a run that cannot succeed stops in a second.

Without them, a bad file or an unwritable folder shows up only after TFX and
TensorFlow have loaded and components have started (half a minute here), and
leaves failed executions in ML Metadata. The components check the same things
again: on Kubeflow nothing runs before them.
"""

import os

from mnist_tfx.lib import idx
from mnist_tfx.lib import spans
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs


def check_output_dir(output_dir: str) -> None:
  """Creates output_dir if needed and proves a file can be written in it."""
  probe = os.path.join(output_dir, f'.write-test-{os.getpid()}')
  try:
    os.makedirs(output_dir, exist_ok=True)
    with open(probe, 'w') as f:
      f.write('ok\n')
    os.remove(probe)
  except OSError as e:
    raise UsageError(f'{output_dir}: cannot be written ({e.strerror or e})') from e


def check_layout(config: configs.PipelineConfig) -> None:
  """Finds every file the run will read, by name only, before anything is written: a data
  root that is missing, or whose files leave in doubt what to read, writes no output folder.

  Raises DataError as ingestion would. Paths with a scheme are left to the component.
  """
  if idx.is_local(config.data_root) and idx.is_local(config.eval_root):
    spans.sources(config.data_root, config.span_window, config.eval_root)


def check_inputs(config: configs.PipelineConfig) -> int:
  """Reads every file the run will read through ingestion's checks; returns the records read.

  Raises DataError (file and problem) as ingestion would. Paths with a scheme
  (gs://) are left to the component: reading them here would import TensorFlow.
  """
  if not (idx.is_local(config.data_root) and idx.is_local(config.eval_root)):
    return 0
  count = 0
  for split, parts in spans.sources(config.data_root, config.span_window,
                                    config.eval_root).items():
    limit = spans.record_limit(split, config.train_limit)
    for _, (images, labels) in parts:
      for _, chunk_labels in idx.read_pairs(images, labels, limit):
        count += len(chunk_labels)
  return count
