"""IdxExampleGen: the IDX files of a data root in, gzipped TFRecords of tf.Examples out.

A custom component rather than an ExampleGen driver: the choice of files stays in
the executor, so it runs the same on Kubeflow, where ExampleGen drivers do not run.
"""

import json
import os

from tfx.dsl.component.experimental.annotations import OutputArtifact
from tfx.dsl.component.experimental.annotations import Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils
from tfx.types import standard_artifacts

from components.idx_example_gen import idx
from components.idx_example_gen import records


@component
def IdxExampleGen(  # pylint: disable=invalid-name
    examples: OutputArtifact[standard_artifacts.Examples],
    data_root: Parameter[str],
    train_limit: Parameter[int] = 0,
    input_fingerprint: Parameter[str] = '',
):
  """Writes the `train` split from train-* and the `eval` split from t10k-*.

  Args:
    examples: the output: Split-<name>/data_tfrecord-*.gz, and the number of
      examples per split in the custom property `example_counts` (JSON).
    data_root: the folder holding the IDX files.
    train_limit: if > 0, only the first that many training examples (quick runs).
    input_fingerprint: names, sizes and times of the input files, so that the
      cache (keyed on parameters) sees a change of data; see pipeline/fingerprint.py.
  """
  del input_fingerprint  # Read by the cache, not here.
  splits = idx.find_split_files(data_root)
  counts = {}
  for split, (images_path, labels_path) in splits.items():
    out_dir = os.path.join(examples.uri, f'Split-{split}')
    limit = train_limit if split == 'train' else 0
    counts[split] = records.write_tfrecords(
        idx.read_pairs(images_path, labels_path, limit),
        os.path.join(out_dir, 'data_tfrecord-00000-of-00001.gz'))
  examples.split_names = artifact_utils.encode_split_names(list(splits))
  examples.set_string_custom_property('payload_format', 'FORMAT_TF_EXAMPLE')
  examples.set_string_custom_property('file_format', 'tfrecords_gzip')
  examples.set_string_custom_property('example_counts', json.dumps(counts))
