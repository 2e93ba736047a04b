"""The canary's cost per push: its whole check on a pushed version, beside a bare TensorFlow import.

    .venv/bin/python -m bench.canary OUTPUT_DIR [--repeats 5]

Alternates the two, so that both see the same machine: the check (a fresh process that
imports TensorFlow, loads the version, asks it and times it) and a fresh process that only
imports TensorFlow and TF Serving's protos, which is the floor of any check in its own
process.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from mnist_tfx.components.atomic_pusher import canary
from mnist_tfx.lib import serving_dir


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
  parser.add_argument('output_dir')
  parser.add_argument('--repeats', type=int, default=5)
  args = parser.parse_args()
  serving = os.path.join(args.output_dir, 'serving')
  version = os.path.join(serving, serving_dir.latest_version(serving))
  checks, imports, loads, latencies = [], [], [], []
  environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  for _ in range(args.repeats):
    verdict = canary.check(version, max_latency_ms=1000)
    assert verdict.passed, verdict.failure
    checks.append(verdict.seconds)
    loads.append(verdict.load_seconds)
    latencies.append(verdict.latency_ms)
    started = time.perf_counter()
    subprocess.run([sys.executable, '-c', 'import tensorflow, tensorflow_serving.apis.predict_pb2'],
                   check=True, env=environment, capture_output=True)
    imports.append(time.perf_counter() - started)
  print(f'version: {version}')
  print(f'canary, whole check: median {statistics.median(checks):.1f} s '
        f'({", ".join(f"{s:.1f}" for s in checks)})')
  print(f'  of which loading the version: median {statistics.median(loads):.2f} s')
  print(f'  one digit, slowest signature: median {statistics.median(latencies):.2f} ms')
  print(f'fresh process importing TensorFlow only: median {statistics.median(imports):.1f} s '
        f'({", ".join(f"{s:.1f}" for s in imports)})')


if __name__ == '__main__':
  main()
