"""Chooses the training recipe on a validation split cut from the training digits.

The last 10,000 training digits are held out; each candidate trains on the other
50,000 (bench/plain_loop.py --validation) and reports its accuracy on them after every
epoch. The test digits are not read. Prints one JSON line per run and a table.
Usage: .venv/bin/python -m bench.recipes [--seeds 1 2]
"""

import argparse
import json
import statistics
import subprocess
import sys

from bench import processes

VALIDATION = 10_000
CANDIDATES = (
    ('course', []),
    ('fast', []),  # 5 epochs of batch 128, peak 0.01: the one chosen.
    ('fast', ['--epochs', '4']),
    ('fast', ['--epochs', '4', '--batch-size', '64', '--peak-learning-rate', '0.005']),
    # 30 epochs; shifts up to 0.12 of the side, 15 degrees, zoom 0.12; label smoothing 0.1.
    # Each augmented row twice: as trained, and with the batch norms measured again on
    # the unmoved digits (the recipe's).
    ('augmented', []),
    ('augmented', ['--label-smoothing', '0']),
    # Earlier rows, measured before the recipe smoothed its labels.
    ('augmented', ['--epochs', '15', '--label-smoothing', '0']),
    ('augmented', ['--epochs', '15', '--label-smoothing', '0', '--shift', '0.08',
                   '--rotation-degrees', '10', '--zoom', '0.08']),
)


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2])
  args = parser.parse_args()
  table = {}
  for seed in args.seeds:
    for recipe, flags in CANDIDATES:
      command = [sys.executable, '-m', 'bench.plain_loop', '--recipe', recipe, '--seed', str(seed),
                 '--validation', str(VALIDATION), *flags]
      output = subprocess.run(command, cwd=processes.PROJECT_DIR, check=True, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
      rows = [json.loads(line) for line in output.splitlines() if line.startswith('{')]
      epochs = [row for row in rows if 'batch_norms' not in row]
      name = ' '.join([recipe, *flags])
      print(json.dumps({'recipe': name, 'seed': seed,
                        'accuracy': [row['accuracy'] for row in epochs],
                        'seconds': [row['seconds'] for row in epochs]}), flush=True)
      table.setdefault(name, []).append(epochs[-1]['accuracy'])
      for row in rows[len(epochs):]:  # Augmented: the batch norms measured again.
        table.setdefault(f'{name}, batch norms {row["batch_norms"]}', []).append(
            row['accuracy'])
  print('| recipe | validation accuracy per seed | median |\n| --- | --- | --- |')
  for name, accuracies in table.items():
    print(f'| {name} | {", ".join(f"{a:.4f}" for a in accuracies)} | '
          f'{statistics.median(accuracies):.4f} |')
  return 0


if __name__ == '__main__':
  sys.exit(main())
