"""Commands the benchmark times from the outside: the pipeline, the plain loop, TFX's import.

Each runs as its own process, as a user would start it, so its wall time includes
Python and TensorFlow start-up, and its peak memory is its own (os.wait4).
"""

import dataclasses
import json
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional

from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import run_reader
from mnist_tfx.pipeline import run_record

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
PROJECT_DIR = os.path.dirname(BENCH_DIR)


@dataclasses.dataclass
class Timed:
  """One finished process: exit status, wall seconds, peak resident memory, what it printed."""
  status: int
  seconds: float
  peak_rss_gb: float
  stdout: str
  started: float  # Unix time.


def timed(command: List[str]) -> Timed:
  """Runs `command` from the project folder; its stderr is dropped (runs keep their own logs)."""
  env = dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2')
  started = time.time()
  process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
  stdout = process.stdout.read()
  _, status, usage = os.wait4(process.pid, 0)  # Unlike Popen.wait, also the peak RSS.
  seconds = time.time() - started
  process.returncode = os.waitstatus_to_exitcode(status)  # Reaped: Popen must not wait again.
  return Timed(status=process.returncode, seconds=seconds,
               peak_rss_gb=usage.ru_maxrss / 1024**2, stdout=stdout, started=started)


def pipeline_command(output_dir: str, *flags: str) -> List[str]:
  return [os.path.join(os.path.dirname(sys.executable), 'mnist-pipeline'), 'run',
          '--output-dir', output_dir, *flags]


@dataclasses.dataclass
class PipelineRun:
  timed: Timed
  components: Dict[str, float]  # Seconds of each component that ran (not cached).
  cached: List[str]
  test_accuracy: Optional[float]
  pushed_to: Optional[str]


def run_pipeline(output_dir: str, *flags: str) -> PipelineRun:
  """`mnist-pipeline run` into `output_dir`, then what ML Metadata recorded of it."""
  result = timed(pipeline_command(output_dir, *flags))
  config = configs.PipelineConfig(output_dir=output_dir)
  report = run_reader.latest(config.metadata_path, since=0) or run_record.RunRecord()
  return PipelineRun(
      timed=result,
      components={name: seconds for name, state, seconds in report.components
                  if state == 'ran'},
      cached=[name for name, state, _ in report.components if state == 'cached'],
      test_accuracy=report.overall_accuracy,
      pushed_to=report.pushed_to)


def run_plain_loop(seed: int, epochs: int, stop_at: float, train_limit: int = 0):
  """(Timed, rows): one row per epoch with its test accuracy and seconds since start."""
  result = timed([sys.executable, os.path.join(BENCH_DIR, 'plain_loop.py'),
                  '--seed', str(seed), '--epochs', str(epochs), '--stop-at', str(stop_at),
                  '--train-limit', str(train_limit)])
  rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{')]
  for row in rows:
    row['seconds'] = round(row.pop('time') - result.started, 1)
  return result, rows


def seconds_to_reach(rows: List[dict], accuracy: float) -> Optional[float]:
  """Wall seconds from start to the end of the first epoch at `accuracy`, or None."""
  return next((row['seconds'] for row in rows if row['test_accuracy'] >= accuracy), None)


def import_tfx() -> Timed:
  """`python -c "from tfx import v1"`: the floor of any TFX command's start-up."""
  return timed([sys.executable, '-c', 'from tfx import v1'])
