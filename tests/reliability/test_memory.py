"""Ingestion memory stays flat: ten times MNIST's training set in about the same peak memory.

Measured, not timed: the peak resident memory of a process ingesting 60,000 digits and
of one ingesting 600,000 (the same digits ten times over, as raw IDX files).
"""

import os
import subprocess
import sys
import time

import pytest

from tests.support import idx_files

pytestmark = pytest.mark.full

MARGIN_MB = 64

# What IdxExampleGen does with the training split, then the process's own peak memory:
# VmHWM, since a child's ru_maxrss starts from its parent's (the test runner's) size.
_INGEST = '''
import itertools, re, sys
from mnist_tfx.components.idx_example_gen import records
from mnist_tfx.lib import idx, spans
parts = spans.sources(sys.argv[1])['train']
chunks = itertools.chain.from_iterable(idx.read_pairs(*pair) for _, pair in parts)
count = records.write_tfrecords(chunks, sys.argv[2])
with open('/proc/self/status') as f:
  peak_kb = int(re.search(r'VmHWM:\\s+(\\d+) kB', f.read()).group(1))
print(count, peak_kb)
'''


def _write_repeated(root, images, labels, times):
  """Raw IDX files holding the digits `times` over, written without holding them all."""
  os.makedirs(root)
  with open(os.path.join(root, 'train-images-idx3-ubyte'), 'wb') as f:
    f.write(idx_files.image_bytes(images[:0], count=len(images) * times))
    for _ in range(times):
      f.write(images.tobytes())
  with open(os.path.join(root, 'train-labels-idx1-ubyte'), 'wb') as f:
    f.write(idx_files.label_bytes(labels[:0], count=len(labels) * times))
    for _ in range(times):
      f.write(labels.tobytes())
  with open(os.path.join(root, 't10k-images-idx3-ubyte'), 'wb') as f:
    f.write(idx_files.image_bytes(images[:10]))
  with open(os.path.join(root, 't10k-labels-idx1-ubyte'), 'wb') as f:
    f.write(idx_files.label_bytes(labels[:10]))


def _ingest(root, output):
  """(examples written, peak memory in MB, seconds) of one ingestion process."""
  started = time.time()
  result = subprocess.run([sys.executable, '-c', _INGEST, root, output], capture_output=True,
                          text=True, check=True)
  count, peak_kb = map(int, result.stdout.split())
  return count, peak_kb / 1024, time.time() - started


def test_ten_times_mnist_is_ingested_in_the_same_memory(tmp_path, record):
  images, labels = idx_files.read_split('train', 60000)
  _write_repeated(str(tmp_path / 'x1'), images, labels, 1)
  _write_repeated(str(tmp_path / 'x10'), images, labels, 10)
  count_1, peak_1, seconds_1 = _ingest(str(tmp_path / 'x1'), str(tmp_path / 'x1.gz'))
  count_10, peak_10, seconds_10 = _ingest(str(tmp_path / 'x10'), str(tmp_path / 'x10.gz'))
  record('ingestion of a synthetic IDX pair 10 times MNIST (600,000 digits, 470 MB raw)',
         f'peak memory within {MARGIN_MB} MB of ingesting 60,000',
         f'peak memory (VmHWM) {peak_10:.0f} MB for 600,000 ({seconds_10:.1f} s) against '
         f'{peak_1:.0f} MB for 60,000 ({seconds_1:.1f} s): {peak_10 - peak_1:+.0f} MB', '')
  assert (count_1, count_10) == (60000, 600000)
  assert peak_10 - peak_1 < MARGIN_MB
