"""The README's retraining demo, warm and cold side by side: span 1, then spans 2 and 3.

Cuts data/mnist with data/split_into_spans.py, then runs two chains of `bin/run` on the
same data root, in turns: `cold` passes --cold-start on every run, `warm` runs with the
defaults (each retrain starts from the model served when its span arrived). Span 1 trains
from random weights in both. After each span, add-span adds the next batch. Prints one
JSON line per run (wall seconds, the Trainer's seconds, how training started, test
accuracy, the served model's, pushed or not) and a table.

Usage: .venv/bin/python -m bench.warm_demo [--chain warm] OUT [-- extra bin/run flags]
(--chain warm: the README's commands alone, the default chain.)
OUT must not exist. Everything else is the README's: the default recipe and gate.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

from bench import processes

CHAINS = (('cold', ['--cold-start']), ('warm', []))


def run(command, **kwargs) -> subprocess.CompletedProcess:
  return subprocess.run(command, cwd=processes.PROJECT_DIR, text=True, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, **kwargs)


def summary_value(output: str, label: str) -> str:
  match = re.search(rf'^{label}:\s+(.*)$', output, re.MULTILINE)
  return match.group(1) if match else ''


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('out')
  parser.add_argument('--chain', choices=[name for name, _ in CHAINS],
                      help='run this chain only (default: both, in turns)')
  parser.add_argument('extra', nargs='*', help='more bin/run flags, after --')
  args = parser.parse_args()
  out = os.path.abspath(args.out)
  if os.path.exists(out):
    print(f'error: {out} exists', file=sys.stderr)
    return 2
  run([sys.executable, 'data/split_into_spans.py', os.path.join(out, 'spans')], check=True)
  data_root = os.path.join(out, 'spans', 'data')
  rows = []
  for span in (1, 2, 3):
    if span > 1:
      run([os.path.join('.venv', 'bin', 'mnist-pipeline'), 'add-span',
           os.path.join(out, 'spans', f'batch-{span}'), '--data-root', data_root], check=True)
    for chain, flags in CHAINS:
      if args.chain and chain != args.chain:
        continue
      output_dir = os.path.join(out, chain)
      started = time.perf_counter()
      result = run(['bin/run', '--data-root', data_root, '--output-dir', output_dir, *flags,
                    *args.extra])
      seconds = time.perf_counter() - started
      trainer = re.search(r'^Trainer\s+\S+\s+([0-9.]+)$', result.stdout, re.MULTILINE)
      row = {'span': span, 'chain': chain, 'status': result.returncode,
             'wall_seconds': round(seconds, 1),
             'trainer_seconds': float(trainer.group(1)) if trainer else None,
             'start': summary_value(result.stdout, 'start'),
             'test_accuracy': summary_value(result.stdout, 'test accuracy'),
             'pushed_to': summary_value(result.stdout, 'pushed to')}
      print(json.dumps(row), flush=True)
      with open(os.path.join(out, f'span-{span}-{chain}.log'), 'w') as f:
        f.write(result.stdout)
      rows.append(row)
  print('| span | start | run wall s | Trainer s | test accuracy (served model) | pushed |\n'
        '| --- | --- | --- | --- | --- | --- |')
  for row in rows:
    print(f'| {row["span"]} | {row["chain"]}: {row["start"]} | {row["wall_seconds"]} | '
          f'{row["trainer_seconds"]} | {row["test_accuracy"]} | '
          f'{"yes" if row["pushed_to"].startswith("/") else "no"} |')
  return 0


if __name__ == '__main__':
  sys.exit(main())
