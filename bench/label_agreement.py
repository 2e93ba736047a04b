"""How often a served model agrees with clean and with corrupted labels: the evidence behind
LabelCheck's default margin (--label-agreement-margin).

    .venv/bin/python -m bench.label_agreement OUTPUT_DIR --trained-on N [--span 5000]

OUTPUT_DIR's newest served version predicts the training digits it was not trained on
(those after the first N of data/mnist), cut into spans, and the test digits. For each
span it prints the agreement with the clean labels, with 10% and 30% of them shuffled,
and with 1 and 7 swapped, each minus the model's test accuracy: what LabelCheck compares
with the margin. It reads no digit the model was trained on.
"""

import argparse
import os

import numpy as np
import tensorflow as tf

from mnist_tfx.lib import contracts
from mnist_tfx.lib import idx
from mnist_tfx.lib import serving_dir

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data', 'mnist')


def _read(prefix: str):
  images, labels = idx.find_pair(DATA, prefix)
  images, labels = idx.read_arrays(images, labels)
  return images.reshape(len(images), -1), labels


def _digits(predict, images) -> np.ndarray:
  found = []
  for start in range(0, len(images), 1024):
    batch = tf.constant(images[start:start + 1024], tf.float32)
    found.append(predict(pixels=batch)['digit'].numpy())
  return np.concatenate(found)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
  parser.add_argument('output_dir')
  parser.add_argument('--trained-on', type=int, required=True,
                      help='the model was trained on the first N training digits')
  parser.add_argument('--span', type=int, default=5000)
  args = parser.parse_args()
  serving = os.path.join(args.output_dir, 'serving')
  version = serving_dir.latest_version(serving)
  model = tf.saved_model.load(os.path.join(serving, version))
  predict = model.signatures[contracts.Signature.SERVING_PIXELS]
  test_images, test_labels = _read('t10k')
  expected = float(np.mean(_digits(predict, test_images) == test_labels))
  images, labels = _read('train')
  rng = np.random.default_rng(0)
  print(f'version {version}: test accuracy {expected:.4f}; agreement minus it, per span of '
        f'{args.span} unseen training digits:')
  print(f'{"digits":<14}{"clean":>8}{"10% shuffled":>14}{"30% shuffled":>14}{"1<->7":>8}')
  for start in range(args.trained_on, len(labels) - args.span + 1, args.span):
    span = slice(start, start + args.span)
    digits = _digits(predict, images[span])
    clean = labels[span]
    cases = [clean]
    for share in (0.1, 0.3):
      noisy = clean.copy()
      picked = rng.choice(len(noisy), int(share * len(noisy)), replace=False)
      noisy[picked] = rng.permutation(noisy[picked])
      cases.append(noisy)
    swapped = clean.copy()
    swapped[clean == 1], swapped[clean == 7] = 7, 1
    cases.append(swapped)
    gaps = [float(np.mean(digits == case)) - expected for case in cases]
    print(f'{start:>6}-{start + args.span:<7}' + ''.join(
        f'{gap:>+{width}.4f}' for gap, width in zip(gaps, (8, 14, 14, 8))))


if __name__ == '__main__':
  main()
