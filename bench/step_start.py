"""Each Kubeflow step's start-up: seconds from spawning its command to the start of Do.

Compiles the pipeline for the backend stand-in (tests/kubeflow/backend/) as
tests/kubeflow/conftest.py does, on the tiny slice of data/mnist, and runs every
step in the compiled order as the stand-in's driver and launcher run it. Before a
step runs for real (the compiled command, so that the next steps have its outputs),
it is started `--rounds` times each way, before and after alternating, each time in a
fresh pod folder, and killed once it logs `Starting executor` (absl's timestamp, the
line TFX's entrypoint and ours both log right before Do):
  before: the command as it was, our repairs around TFX's kubeflow_v2_run_executor
          (bench/tfx_entrypoint.py);
  after:  the compiled command, python -m mnist_tfx.kubeflow.entrypoint.
The clock starts just before the process is spawned. Not a test: it never fails on a
number.

Usage: .venv/bin/python -m bench.step_start [--rounds 2] [--tasks IdxExampleGen ...]
"""

import argparse
import dataclasses
import datetime
import os

# Before anything imports TensorFlow: the project's Keras 2, and quiet CUDA-plugin noise.
os.environ['TF_USE_LEGACY_KERAS'] = '1'
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top,wrong-import-position
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

from mnist_tfx.kubeflow import compiler
from mnist_tfx.kubeflow import configs as kubeflow_configs
from mnist_tfx.pipeline import configs
from tests.kubeflow.backend import launcher
from tests.kubeflow.backend import object_store
from tests.support import idx_files
# pylint: enable=g-import-not-at-top,wrong-import-position

BEFORE = ['python', '-m', 'bench.tfx_entrypoint']
# The steps whose executors need neither TFDV nor TFMA: the median of their ratios.
LIGHT = ('IdxExampleGen', 'ImportSchemaGen', 'StartingModel', 'LabelCheck', 'ServedModel',
         'SpanTest', 'Pusher', 'RunReport')
# absl's prefix: I0214 02:50:20.123456 12345 file.py:199] Starting executor
STARTING = re.compile(r'^I(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6}) .*\] Starting executor$')


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--rounds', type=int, default=2,
                      help='starts of each step each way, alternating (default: %(default)s)')
  parser.add_argument('--tasks', nargs='+', default=None,
                      help='measure only these steps (the others still run, once)')
  args = parser.parse_args(argv)
  with tempfile.TemporaryDirectory(prefix='mnist-step-start-') as scratch:
    seconds = measure(scratch, args.rounds, args.tasks)
  print(table(seconds, args.rounds))
  return 0


def measure(scratch: str, rounds: int, tasks: Optional[List[str]]) -> Dict[str, Dict]:
  """{task: {'before': [s, ...], 'after': [s, ...]}}, in the compiled order."""
  run = _standin_run(scratch)
  seconds = {}
  for task in launcher.topological_order(run.spec):
    if tasks is None or task in tasks:
      seconds[task] = {'before': [], 'after': []}
      for round_ in range(rounds):
        ways = ('before', 'after') if round_ % 2 == 0 else ('after', 'before')
        for way in ways:
          seconds[task][way].append(start_up(run, task, BEFORE if way == 'before' else None))
          _say(f'{task} {way}: {seconds[task][way][-1]:.1f} s')
    outcome = launcher.run_task(run, task)
    if not outcome.ok:
      raise RuntimeError(f'{task}: {outcome.error}\n{outcome.output[-3000:]}')
    _say(f'{task} ran')
  return seconds


def _standin_run(scratch: str) -> launcher.Run:
  """The stand-in's spec and bucket, as tests/kubeflow/conftest.py and the tests make them:
  the tiny slice, one epoch, a gate of 0."""
  bucket_name = 'kfp-standin'
  config = configs.PipelineConfig(
      data_root=f'ram://{bucket_name}/mnist', output_dir=f'ram://{bucket_name}/outputs',
      epochs=1, seed=7, accuracy_threshold=0.0, digit_accuracy_floor=0.0)
  package = compiler.compile_pipeline(config, kubeflow_configs.KubeflowConfig(
      image='mnist-tfx:test', package=os.path.join(scratch, 'spec.yaml')))
  import yaml  # pylint: disable=g-import-not-at-top
  with open(package) as f:
    spec = next(yaml.safe_load_all(f))
  data_root = os.path.join(scratch, 'mnist')
  idx_files.write_data_root(data_root, {
      'train': idx_files.read_split('train', idx_files.TINY_TRAIN),
      'eval': idx_files.read_split('eval', idx_files.TINY_EVAL)})
  bucket = object_store.Bucket(os.path.join(scratch, 'bucket.sqlite'))
  object_store.upload_folder(bucket, data_root, config.data_root[len(object_store.RAM):])
  os.makedirs(os.path.join(scratch, 'pods'))
  return launcher.Run(spec, bucket, config.pipeline_root, os.path.join(scratch, 'pods'))


def start_up(run: launcher.Run, task: str, command: Optional[List[str]]) -> float:
  """Seconds from spawning the step (launcher.run_task's way, in a pod folder of its own)
  to its `Starting executor` line; then the step is killed, its outputs never uploaded."""
  probe = dataclasses.replace(run, command=command, pods_dir=tempfile.mkdtemp(dir=run.pods_dir))
  executor_input = launcher.driver_executor_input(probe, task)
  pod = os.path.join(probe.pods_dir, task)
  os.makedirs(os.path.join(pod, 'tmp'))
  executor_input['outputs']['outputFile'] = os.path.join(pod, launcher.OUTPUT_METADATA_FILE)
  for artifact_list in executor_input['outputs']['artifacts'].values():
    os.makedirs(os.path.dirname(launcher.local_path(pod, artifact_list['artifacts'][0]['uri'])),
                exist_ok=True)
  launcher.download_artifacts(run.bucket, pod, executor_input)
  # pylint: disable=protected-access
  argv, env = launcher._command(probe, task, executor_input), launcher._env(probe, pod)
  # pylint: enable=protected-access
  started = time.time()
  process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, start_new_session=True)
  output = []
  try:
    for line in process.stdout:
      output.append(line)
      found = STARTING.match(line.rstrip('\n'))
      if found:
        month, day, hour, minute, second, micro = map(int, found.groups())
        year = time.localtime(started).tm_year
        return datetime.datetime(year, month, day, hour, minute, second,
                                 micro).timestamp() - started
    raise RuntimeError(f'{task} never started its executor:\n{"".join(output)[-3000:]}')
  finally:
    if process.poll() is None:
      os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()


def table(seconds: Dict[str, Dict], rounds: int) -> str:
  """Markdown: each step's median seconds each way and their ratio; the light steps' median."""
  lines = ['| step | before s | after s | after / before |', '| --- | ---: | ---: | ---: |']
  light = []
  for task, ways in seconds.items():
    before, after = statistics.median(ways['before']), statistics.median(ways['after'])
    ratio = after / before
    if task in LIGHT:
      light.append(ratio)
    lines.append(f'| {task} | {before:.1f} | {after:.1f} | {ratio:.2f} |')
  lines.append('')
  lines.append(f'Medians of {rounds} starts each way, alternating, on {os.cpu_count()} cores.')
  if light:
    lines.append(f'Median ratio of the {len(light)} steps that need neither TFDV nor TFMA: '
                 f'{statistics.median(light):.2f}')
  return '\n'.join(lines)


def _say(text: str) -> None:
  print(f'[{time.strftime("%H:%M:%S")}] {text}', file=sys.stderr, flush=True)


if __name__ == '__main__':
  sys.exit(main())
