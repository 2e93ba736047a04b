"""IdxExampleGen: the IDX files of a data root in, gzipped TFRecords of tf.Examples out.

A custom component rather than an ExampleGen driver: the choice of files stays in
the executor, so it runs the same on Kubeflow, where ExampleGen drivers do not run.
"""

import itertools
import json
import os

from tfx.dsl.component.experimental.annotations import OutputArtifact
from tfx.dsl.component.experimental.annotations import Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils
from tfx.types import standard_artifacts

from mnist_tfx.lib import contracts
from mnist_tfx.lib import idx
from mnist_tfx.components.idx_example_gen import records
from mnist_tfx.lib import spans as spans_lib


@component
def IdxExampleGen(  # pylint: disable=invalid-name
    examples: OutputArtifact[standard_artifacts.Examples],
    data_root: Parameter[str],
    span_window: Parameter[int] = 1,
    eval_root: Parameter[str] = '',
    train_limit: Parameter[int] = 0,
    cache_key: Parameter[str] = '',
):
  """Writes `train` from the newest spans, `eval` from the fixed test set, `previous` for drift,
  and `test_span_<N>` from each trained span's own test digits, if it has some.

  Args:
    examples: the output: Split-<name>/data_tfrecord-*.gz. Its `span` is the
      newest span read; custom properties `spans` (JSON: per split, the spans and
      files read, with their SHA-256) and `example_counts` (JSON: per split).
    data_root: the folder of spans (see spans.py); a plain folder of IDX files is span 1.
    span_window: train on the newest this many spans.
    eval_root: a folder whose t10k-* pair is the fixed evaluation set; '' for
      the oldest span's t10k-* pair (the canonical 10,000 test digits of data/mnist).
    train_limit: if > 0, only the first that many training examples of each span (train
      and previous; the test digits are read whole).
    cache_key: read by TFX's cache only: the data files' names, sizes and times, so
      that new data is a cache miss (pipeline/cache_keys.py).
  """
  del cache_key  # TFX's cache reads it; this step never does.
  sources = spans_lib.sources(data_root, span_window, eval_root)

  counts, read = {}, {}
  for split, parts in sources.items():
    limit = spans_lib.record_limit(split, train_limit)
    chunks = itertools.chain.from_iterable(
        idx.read_pairs(images, labels, limit) for _, (images, labels) in parts)
    counts[split] = records.write_tfrecords(
        chunks, os.path.join(examples.uri, f'Split-{split}', 'data_tfrecord-00000-of-00001.gz'))
    read[split] = [spans_lib.describe(number, pair) for number, pair in parts]
  examples.split_names = artifact_utils.encode_split_names(list(sources))
  examples.span = max(number for number, _ in sources['train'])
  examples.set_string_custom_property('payload_format', 'FORMAT_TF_EXAMPLE')
  examples.set_string_custom_property('file_format', 'tfrecords_gzip')
  examples.set_string_custom_property(contracts.Property.EXAMPLE_COUNTS, json.dumps(counts))
  examples.set_string_custom_property(contracts.Property.SPANS, json.dumps(read))

