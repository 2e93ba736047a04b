"""The benchmark: the pipeline against the plain loop, on this machine, in one run.

Measures (see BENCHMARKS.md): per seed, the plain loop with the course's recipe to
99.4% test accuracy beside a cold pipeline run with the default recipe; the plain loop
with the pipeline's own recipe (the pipeline's overhead); the fixed costs (the export,
the first epoch, StatisticsGen + Transform + the Evaluator) beside the baseline commit's
pipeline; the no-change run beside the baseline's all-cached run; bfloat16 where the CPU
has it; training and ingestion throughput; serving latency and throughput. Writes
bench/results.json and the generated part of BENCHMARKS.md. Not a test: it never fails
on a number.

Usage: bin/bench [--quick] [--seeds 1 2 3] [--baseline COMMIT] [--scale] [--output-dir DIR]
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
from mnist_tfx.trainer_module import training
# pylint: enable=g-import-not-at-top,wrong-import-position

TARGET_ACCURACIES = (0.990, 0.994)
# The commit before the speed work (issue 14): the fixed costs and the no-change run are
# measured beside it, in a worktree with its own environment.
BASELINE_COMMIT = 'ab19871'
# What the pipeline prints when it answers a no-change run without TFX (app/local_run.py).
NO_CHANGE = 'TFX was not started'


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--quick', action='store_true',
                      help='small data, one epoch, few repetitions: minutes, for development '
                      '(figures are not comparable with a full run; BENCHMARKS.md is left alone)')
  parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3],
                      help='one plain loop and one cold pipeline per seed, side by side')
  parser.add_argument('--baseline', default=BASELINE_COMMIT,
                      help='the commit whose fixed costs and no-change run are measured beside '
                      "this checkout's (default: %(default)s, before the speed work)")
  parser.add_argument('--scale', action='store_true',
                      help='also one-epoch runs on 10,000 and 30,000 training digits')
  parser.add_argument('--output-dir', default=None,
                      help='where the runs write (default: a temporary folder, removed)')
  args = parser.parse_args(argv)
  seeds = args.seeds[:1] if args.quick else args.seeds
  with tempfile.TemporaryDirectory(prefix='mnist-bench-') as scratch:
    results = measure(args.output_dir or scratch, seeds, args.quick, args.baseline, args.scale)
  path = os.path.join(processes.BENCH_DIR, 'results-quick.json' if args.quick else 'results.json')
  with open(path, 'w') as f:
    json.dump(results, f, indent=1)
  print(report.markdown(results))
  print(f'Results: {path}')
  if not args.quick:
    report.update_benchmarks_md(os.path.join(processes.PROJECT_DIR, 'BENCHMARKS.md'), results)
    print('Updated BENCHMARKS.md')
  return 0


def measure(output_dir: str, seeds, quick: bool, baseline_commit: str, scale: bool) -> dict:
  """Every figure, in an order that keeps each compared pair side by side."""
  # Quick: a tenth of the data, one epoch, a gate it can pass, so a model is pushed.
  quick_flags = ['--train-limit', '6000', '--epochs', '1', '--accuracy-threshold', '0.8',
                 '--digit-accuracy-floor', '0.5'] if quick else []
  results = {'machine': _machine(), 'quick': quick, 'baseline_commit': baseline_commit,
             'command': 'bin/bench' + (' --quick' if quick else ''),
             'started': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}
  checkout = os.path.join(output_dir, 'baseline-checkout')
  _say(f'0. the baseline commit {baseline_commit}: a worktree and its environment')
  baseline_bin = processes.baseline_checkout(baseline_commit, checkout)
  try:
    _measure_processes(results, output_dir, seeds, quick_flags, baseline_bin)
  finally:
    processes.remove_checkout(checkout)
  _measure_in_process(results, os.path.join(output_dir, f'cold-seed{seeds[0]}'), quick)
  if scale and not quick:
    _say('9. scale: one-epoch runs on 10,000 and 30,000 training digits')
    results['scale'] = []
    for limit in (10_000, 30_000):
      run = processes.run_pipeline(os.path.join(output_dir, f'scale-{limit}'),
                                   '--train-limit', str(limit), '--epochs', '1', '--seed', '1',
                                   '--accuracy-threshold', '0', '--digit-accuracy-floor', '0')
      results['scale'].append({'train_examples': limit, 'epochs': 1, **_pipeline_entry(run)})
    results['scale'].append({'train_examples': 60_000,
                             'epochs': results['fixed_costs']['pipeline']['trainer']['epochs'],
                             **results['cold'][0]['pipeline']})
  return results


def _measure_processes(results: dict, output_dir: str, seeds, quick_flags,
                       baseline_bin: str) -> None:
  """What runs as its own process: cold runs, the fixed costs, no-change runs, bfloat16."""
  quick = bool(quick_flags)
  train_limit = 6000 if quick else 0
  # The baseline's flags: its recipe is the course's, 2 epochs give a first and a later one.
  baseline_flags = ['--epochs', '2', *quick_flags[:2], *quick_flags[4:]]
  baseline_dir = os.path.join(output_dir, 'baseline-cold')
  _say('1-3. per seed: the plain loop (course recipe, to 99.4%), then the cold pipeline; after '
       "the first seed's, the plain loop with the pipeline's recipe and the baseline commit's "
       'pipeline')
  results['cold'] = []
  for seed in seeds:
    loop, rows = processes.run_plain_loop(
        seed, training.COURSE.name, epochs=1 if quick else 15, stop_at=TARGET_ACCURACIES[-1],
        train_limit=train_limit)
    cold_dir = os.path.join(output_dir, f'cold-seed{seed}')
    cold = processes.run_pipeline(cold_dir, '--seed', str(seed), *quick_flags)
    entry = {'seed': seed, 'plain_loop': {'epochs': rows, 'peak_rss_gb': loop.peak_rss_gb},
             'pipeline': _pipeline_entry(cold),
             'trainer_clock': processes.trainer_clock(cold_dir)}
    for accuracy in TARGET_ACCURACIES:
      entry['plain_loop'][f'seconds_to_{accuracy}'] = processes.seconds_to_reach(rows, accuracy)
    reached = entry['plain_loop'][f'seconds_to_{TARGET_ACCURACIES[-1]}']
    entry['ratio_cold_to_plain_994'] = cold.timed.seconds / reached if reached else None
    results['cold'].append(entry)
    _say(f'   seed {seed}: plain loop {rows[-1] if rows else "no epoch"}; pipeline '
         f'{cold.timed.seconds:.0f} s, accuracy {cold.test_accuracy}, exit {cold.timed.status}')
    if seed != seeds[0]:
      continue
    same_recipe, same_rows = processes.run_plain_loop(
        seed, training.DEFAULT, epochs=1 if quick else 0, train_limit=train_limit)
    # The plain loop is timed to its last epoch's line, not to its exit: its process has
    # lived up to 61 s past its training (BENCHMARKS.md, the run of 2026-12-07 20:26).
    trained = same_rows[-1]['seconds'] if same_rows and same_recipe.status == 0 else None
    results['overhead'] = {
        'plain_loop_seconds': same_recipe.seconds, 'plain_loop_trained_seconds': trained,
        'plain_loop_epochs': same_rows, 'pipeline_seconds': cold.timed.seconds,
        'ratio': cold.timed.seconds / trained if trained else None}
    baseline = processes.run_pipeline(baseline_dir, '--seed', str(seed), *baseline_flags,
                                      venv_bin=baseline_bin)
    results['fixed_costs'] = {
        'pipeline': _fixed_costs(entry['trainer_clock'], cold),
        'baseline': _fixed_costs(processes.trainer_clock(baseline_dir), baseline)}
    _say(f'   fixed costs: {results["fixed_costs"]}')

  _say('4. no-change runs: this commit (no TFX) and the baseline commit (TFX, all cached), '
       'alternating')
  first_dir = os.path.join(output_dir, f'cold-seed{seeds[0]}')
  unchanged, baseline_warm = [], []
  for _ in range(1 if quick else 3):
    unchanged.append(processes.run_pipeline(first_dir, '--seed', str(seeds[0]), *quick_flags))
    baseline_warm.append(processes.run_pipeline(baseline_dir, '--seed', str(seeds[0]),
                                                *baseline_flags, venv_bin=baseline_bin))
  results['unchanged'] = {
      'seconds': statistics.median(u.timed.seconds for u in unchanged),
      'answered_without_tfx': all(NO_CHANGE in u.timed.stdout for u in unchanged),
      'exit_statuses': sorted({u.timed.status for u in unchanged}),
      'baseline_seconds': statistics.median(b.timed.seconds for b in baseline_warm),
      'baseline_all_cached': all(not b.components for b in baseline_warm),
      'repeats': len(unchanged)}

  if {'avx512_bf16', 'amx_bf16'} & set(results['machine']['simd']):
    _say("5. bfloat16 against float32: the plain loop with the pipeline's recipe, alternating")
    runs = {'float32': [], 'mixed_bfloat16': []}
    for _ in range(1 if quick else 2):
      for precision, pairs in runs.items():
        pairs.append(processes.run_plain_loop(seeds[0], training.DEFAULT,
                                              epochs=1 if quick else 0,
                                              train_limit=train_limit, precision=precision))
    # Timed to the last epoch's line, as step 2 times the plain loop (its process has
    # lived up to 61 s past its training); the whole process beside it.
    # None for a run that failed: no figure, and the bench goes on.
    results['bfloat16'] = {
        precision: {'seconds': [rows[-1]['seconds'] if rows and timed.status == 0 else None
                                for timed, rows in pairs],
                    'process_seconds': [timed.seconds for timed, _ in pairs],
                    'accuracy': [rows[-1]['accuracy'] if rows and timed.status == 0 else None
                                 for timed, rows in pairs]}
        for precision, pairs in runs.items()}
  else:
    results['bfloat16'] = None  # No bf16 arithmetic on this CPU: nothing to measure.


def _measure_in_process(results: dict, first_dir: str, quick: bool) -> None:
  """Throughput, ingestion and serving, in this process: TensorFlow is imported once."""
  from bench import serving  # pylint: disable=g-import-not-at-top
  from bench import throughput  # pylint: disable=g-import-not-at-top
  from mnist_tfx.lib import idx  # pylint: disable=g-import-not-at-top
  data_root = os.path.join(processes.PROJECT_DIR, 'data', 'mnist')
  repeats = 1 if quick else 3

  _say("6. training throughput: the Trainer's input vs numpy arrays, alternating")
  train_images, train_labels = idx.read_arrays(*idx.find_pair(data_root, 'train'),
                                               6000 if quick else 0)
  results['training'] = throughput.training(os.path.join(first_dir, 'pipeline'), train_images,
                                            train_labels, steps=60 if quick else 300,
                                            repeats=repeats)

  _say('7. ingestion: IDX files to TFRecords')
  results['ingestion'] = throughput.ingestion(data_root, repeats=3)

  _say('8. serving: the pushed model in process')
  pushed = results['cold'][0]['pipeline']['pushed_to']
  test_images, _ = idx.read_arrays(*idx.find_pair(data_root, 't10k'), 256)
  results['serving'] = serving.measure(pushed, test_images, latency_calls=100 if quick else 500,
                                       batch_calls=10 if quick else 40, repeats=repeats)


def _fixed_costs(clock: dict, run: processes.PipelineRun) -> dict:
  return {'trainer': clock, 'seconds': run.timed.seconds,
          'first_to_later_epoch': (clock['first_epoch'] / clock['later_epoch']
                                   if clock['later_epoch'] else None),
          'statistics_transform_evaluator': sum(
              run.components.get(name, 0.0)
              for name in ('StatisticsGen', 'Transform', 'Evaluator')),
          'components': run.components}


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
