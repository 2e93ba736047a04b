"""The benchmark: the pipeline against the course's plain loop, on this machine, in one run.

Measures (see BENCHMARKS.md): the plain loop's time to 99.0% and 99.4% test
accuracy; the pipeline cold (wall, components, accuracy, peak memory) and warm;
training and ingestion throughput; serving latency and throughput; and how each
stage grows with the data. Writes bench/results.json and the generated part of
BENCHMARKS.md. Not a test: it never fails on a number.

Usage: bin/bench [--quick] [--seeds 1 2 3] [--output-dir DIR]
"""

import argparse
import json
import os

# Before anything imports TensorFlow: the project's Keras 2, and quiet CUDA-plugin noise.
os.environ['TF_USE_LEGACY_KERAS'] = '1'
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import platform
import statistics
import sys
import tempfile
import time

from bench import processes
from bench import report
# pylint: enable=g-import-not-at-top,wrong-import-position

TARGET_ACCURACIES = (0.990, 0.994)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--quick', action='store_true',
                      help='small data, one epoch, few repetitions: minutes, for development '
                      '(figures are not comparable with a full run; BENCHMARKS.md is left alone)')
  parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3],
                      help='one plain loop and one cold pipeline per seed, side by side')
  parser.add_argument('--output-dir', default=None,
                      help='where the runs write (default: a temporary folder, removed)')
  args = parser.parse_args(argv)
  seeds = args.seeds[:1] if args.quick else args.seeds
  with tempfile.TemporaryDirectory(prefix='mnist-bench-') as scratch:
    results = measure(args.output_dir or scratch, seeds, args.quick)
  path = os.path.join(processes.BENCH_DIR, 'results-quick.json' if args.quick else 'results.json')
  with open(path, 'w') as f:
    json.dump(results, f, indent=1)
  print(report.markdown(results))
  print(f'Results: {path}')
  if not args.quick:
    report.update_benchmarks_md(os.path.join(processes.PROJECT_DIR, 'BENCHMARKS.md'), results)
    print('Updated BENCHMARKS.md')
  return 0


def measure(output_dir: str, seeds, quick: bool) -> dict:
  """Every figure, in an order that keeps each compared pair side by side."""
  # Quick: a tenth of the data, one epoch, a gate it can pass, so a model is pushed.
  quick_flags = ['--train-limit', '6000', '--epochs', '1', '--accuracy-threshold', '0.9',
                 '--digit-accuracy-floor', '0.8'] if quick else []
  repeats = 1 if quick else 3
  results = {'machine': _machine(), 'quick': quick,
             'command': 'bin/bench' + (' --quick' if quick else ''),
             'started': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}

  _say('1-2. plain loop and cold pipeline, side by side, per seed')
  results['cold'] = []
  for seed in seeds:
    loop, rows = processes.run_plain_loop(
        seed, epochs=1 if quick else 15, stop_at=TARGET_ACCURACIES[-1],
        train_limit=6000 if quick else 0)
    cold_dir = os.path.join(output_dir, f'cold-seed{seed}')
    cold = processes.run_pipeline(cold_dir, '--seed', str(seed), *quick_flags)
    entry = {'seed': seed, 'plain_loop': {'epochs': rows, 'peak_rss_gb': loop.peak_rss_gb},
             'pipeline': _pipeline_entry(cold)}
    for accuracy in TARGET_ACCURACIES:
      entry['plain_loop'][f'seconds_to_{accuracy}'] = processes.seconds_to_reach(rows, accuracy)
    reached = entry['plain_loop'][f'seconds_to_{TARGET_ACCURACIES[-1]}']
    entry['ratio_cold_to_plain_994'] = cold.timed.seconds / reached if reached else None
    results['cold'].append(entry)
    _say(f'   seed {seed}: plain loop {rows[-1] if rows else "no epoch"}; pipeline '
         f'{cold.timed.seconds:.0f} s, accuracy {cold.test_accuracy}, exit {cold.timed.status}')
  first_dir = os.path.join(output_dir, f'cold-seed{seeds[0]}')

  _say('3. warm re-run (all cached) against `from tfx import v1`, alternating')
  warm, tfx_import = [], []
  for _ in range(repeats):
    warm.append(processes.run_pipeline(first_dir, '--seed', str(seeds[0]), *quick_flags))
    tfx_import.append(processes.import_tfx())
  results['warm'] = {
      'seconds': statistics.median(w.timed.seconds for w in warm),
      'all_cached': all(not w.components for w in warm),
      'import_tfx_seconds': statistics.median(t.seconds for t in tfx_import),
      'ratio': statistics.median(w.timed.seconds / t.seconds for w, t in zip(warm, tfx_import)),
      'repeats': repeats}

  # In this process from here on: TensorFlow is imported once.
  from bench import serving  # pylint: disable=g-import-not-at-top
  from bench import throughput  # pylint: disable=g-import-not-at-top
  from mnist_tfx.lib import idx  # pylint: disable=g-import-not-at-top
  data_root = os.path.join(processes.PROJECT_DIR, 'data', 'mnist')

  _say('4. training throughput: the Trainer\'s input vs numpy arrays, alternating')
  train_images, train_labels = idx.read_arrays(*idx.find_pair(data_root, 'train'),
                                               6000 if quick else 0)
  pipeline_root = os.path.join(first_dir, 'pipeline')
  results['training'] = throughput.training(pipeline_root, train_images, train_labels,
                                            steps=60 if quick else 300, repeats=repeats)

  _say('5. ingestion: IDX files to TFRecords')
  results['ingestion'] = throughput.ingestion(data_root, repeats=3)

  _say('6. serving: the pushed model in process')
  pushed = results['cold'][0]['pipeline']['pushed_to']
  test_images, _ = idx.read_arrays(*idx.find_pair(data_root, 't10k'), 256)
  results['serving'] = serving.measure(pushed, test_images, latency_calls=100 if quick else 500,
                                       batch_calls=10 if quick else 40, repeats=repeats)

  if not quick:
    _say('7. scale: one-epoch runs on 10,000 and 30,000 training digits')
    results['scale'] = []
    for limit in (10_000, 30_000):
      run = processes.run_pipeline(os.path.join(output_dir, f'scale-{limit}'),
                                   '--train-limit', str(limit), '--epochs', '1', '--seed', '1',
                                   '--accuracy-threshold', '0', '--digit-accuracy-floor', '0')
      results['scale'].append({'train_examples': limit, 'epochs': 1,
                               **_pipeline_entry(run)})
    full = results['cold'][0]['pipeline']
    results['scale'].append({'train_examples': 60_000, 'epochs': 10, **full})
  return results


def _pipeline_entry(run: processes.PipelineRun) -> dict:
  return {'seconds': run.timed.seconds, 'exit_status': run.timed.status,
          'peak_rss_gb': run.timed.peak_rss_gb, 'components': run.components,
          'test_accuracy': run.test_accuracy, 'pushed_to': run.pushed_to}


def _machine() -> dict:
  model = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo')
                if line.startswith('model name')), platform.processor())
  memory_kb = next(int(line.split()[1]) for line in open('/proc/meminfo')
                   if line.startswith('MemTotal'))
  flags = next(line for line in open('/proc/cpuinfo') if line.startswith('flags')).split()
  return {'cpu': model, 'cores': os.cpu_count(), 'memory_gb': round(memory_kb / 1024**2, 1),
          'simd': [f for f in ('avx2', 'fma', 'avx512f', 'avx512_bf16', 'amx_bf16')
                   if f in flags],
          'python': platform.python_version()}


def _say(text: str) -> None:
  print(f'[{time.strftime("%H:%M:%S")}] {text}', file=sys.stderr, flush=True)


if __name__ == '__main__':
  sys.exit(main())
