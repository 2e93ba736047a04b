"""Cuts data/mnist into a span and two later batches, for the continuous-retraining demo.

  .venv/bin/python data/split_into_spans.py /tmp/mnist-spans

writes /tmp/mnist-spans/data/ (span 1: training digits 0-19,999 and the 10,000
test digits) and /tmp/mnist-spans/batch-2/, batch-3/ (training digits
20,000-39,999 and 40,000-59,999), ready for `mnist-pipeline add-span`.
"""

import argparse
import gzip
import os
import struct

from mnist_tfx.lib import idx

MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mnist')
BATCH = 20000


def write_pair(folder: str, prefix: str, images, labels) -> None:
  """Writes gzipped IDX files with the headers ingestion checks."""
  os.makedirs(folder, exist_ok=True)
  with gzip.open(os.path.join(folder, f'{prefix}-images-idx3-ubyte.gz'), 'wb') as f:
    f.write(struct.pack('>4i', idx.IMAGE_MAGIC, len(images), 28, 28) + images.tobytes())
  with gzip.open(os.path.join(folder, f'{prefix}-labels-idx1-ubyte.gz'), 'wb') as f:
    f.write(struct.pack('>2i', idx.LABEL_MAGIC, len(labels)) + labels.tobytes())


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('out', help='folder to write data/, batch-2/ and batch-3/ into')
  out = parser.parse_args().out
  images, labels = idx.read_arrays(*idx.find_pair(MNIST, 'train'))
  test_images, test_labels = idx.read_arrays(*idx.find_pair(MNIST, 't10k'))
  write_pair(os.path.join(out, 'data'), 'train', images[:BATCH], labels[:BATCH])
  write_pair(os.path.join(out, 'data'), 't10k', test_images, test_labels)
  for number in (2, 3):
    part = slice((number - 1) * BATCH, number * BATCH)
    write_pair(os.path.join(out, f'batch-{number}'), 'train', images[part], labels[part])
  print(f'span 1: {out}/data; batches to add: {out}/batch-2, {out}/batch-3')


if __name__ == '__main__':
  main()
