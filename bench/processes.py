"""Commands the benchmark times from the outside: the pipeline, the plain loop, TFX's import.

Each runs as its own process, as a user would start it, so its wall time includes
Python and TensorFlow start-up, and its peak memory is its own (os.wait4).
"""

import dataclasses
import json
import os
import re
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import run_reader
from mnist_tfx.lib import run_record

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


def pipeline_command(output_dir: str, *flags: str, venv_bin: str = '') -> List[str]:
  return [os.path.join(venv_bin or os.path.dirname(sys.executable), 'mnist-pipeline'), 'run',
          '--output-dir', output_dir, *flags]


@dataclasses.dataclass
class PipelineRun:
  timed: Timed
  components: Dict[str, float]  # Seconds of each component that ran (not cached).
  cached: List[str]
  test_accuracy: Optional[float]
  pushed_to: Optional[str]


def run_pipeline(output_dir: str, *flags: str, venv_bin: str = '') -> PipelineRun:
  """`mnist-pipeline run` into `output_dir`, then what ML Metadata recorded of it.

  venv_bin: another checkout's environment (the baseline commit's), else this one.
  """
  result = timed(pipeline_command(output_dir, *flags, venv_bin=venv_bin))
  config = configs.PipelineConfig(output_dir=output_dir)
  report = run_reader.latest(config.metadata_path, since=0) or run_record.RunRecord()
  return PipelineRun(
      timed=result,
      components={name: seconds for name, state, seconds in report.components
                  if state == 'ran'},
      cached=[name for name, state, _ in report.components if state == 'cached'],
      test_accuracy=report.overall_accuracy,
      pushed_to=report.pushed_to)


def trainer_clock(output_dir: str) -> Dict[str, Optional[float]]:
  """The Trainer's first epoch, its later epochs (median) and its export, in seconds, from
  the timestamps of the newest run log of `output_dir`; and its gaps, time in which nothing
  trained: between epochs, and from the last epoch to the export's start (None from a log
  without the lines they need).

  The same lines in this commit and the baseline's: `Training on N GPU(s)` (before the
  input pipeline and the model are built), `Epoch N...` at each epoch's end (this
  commit's: `Epoch N (S s): ...`, S the epoch's own seconds), and TFX's `Training complete`
  after run_fn returns (the export, and history.json, before it). This commit's only:
  `Exported in S s.` when the export ends, and, after an augmented recipe's last epoch,
  `Batch norms measured again ... in S s.`: neither a gap nor the export, and counted as
  neither (trainer_module/trainer.py).
  """
  logs = os.path.join(output_dir, 'logs')
  path = max((os.path.join(logs, name) for name in os.listdir(logs)), key=os.path.getmtime)
  marks: Dict[str, float] = {}
  epochs: List[float] = []
  own: List[Optional[float]] = []  # Each epoch's own seconds, as it logged them.
  measuring_batch_norms = 0.0
  with open(path, errors='replace') as f:
    for line in f:
      found = re.match(r'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) INFO \w+: '
                       r'(Training on|Epoch \d+(?: \(([\d.]+) s\))?|Training complete'
                       r'|Exported in ([\d.]+) s'
                       r'|Batch norms measured again .* in ([\d.]+) s)', line)
      if not found:
        continue
      when = time.mktime(time.strptime(found.group(1), '%Y-%m-%d %H:%M:%S')) + int(
          found.group(2)) / 1000
      if found.group(3).startswith('Epoch'):
        epochs.append(when)
        own.append(float(found.group(4)) if found.group(4) else None)
      elif found.group(5):
        marks['export started'] = when - float(found.group(5))
      elif found.group(6):
        measuring_batch_norms = float(found.group(6))
      else:
        marks[found.group(3)] = when
  ends = [marks.get('Training on')] + epochs
  durations = [b - a for a, b in zip(ends, ends[1:]) if a is not None]
  timed = bool(epochs) and None not in own[1:]  # One epoch: no gap between epochs.
  return {'first_epoch': durations[0] if durations else None,
          'later_epoch': statistics.median(durations[1:]) if len(durations) > 1 else None,
          'export': (marks['Training complete'] - epochs[-1] - measuring_batch_norms
                     if epochs and 'Training complete' in marks else None),
          'epochs': len(epochs),
          'between_epochs': (sum(b - a - seconds for a, b, seconds
                                 in zip(epochs, epochs[1:], own[1:])) if timed else None),
          'before_export': (marks['export started'] - epochs[-1] - measuring_batch_norms
                            if epochs and 'export started' in marks else None)}


def gaps(clock: Dict[str, Optional[float]]) -> Optional[float]:
  """Seconds in which the Trainer trained nothing, from trainer_clock's figures: between
  epochs and before the export (issue 27: at most 2 s per cold run)."""
  if clock['between_epochs'] is None or clock['before_export'] is None:
    return None
  return clock['between_epochs'] + clock['before_export']


def baseline_checkout(commit: str, folder: str) -> str:
  """A worktree of `commit` with its own environment (its bin/setup); returns its venv's bin."""
  subprocess.run(['git', 'worktree', 'add', '--detach', '--force', folder, commit],
                 cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  subprocess.run(['bash', os.path.join(folder, 'bin', 'setup')], check=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  return os.path.join(folder, '.venv', 'bin')


def remove_checkout(folder: str) -> None:
  subprocess.run(['git', 'worktree', 'remove', '--force', folder], cwd=PROJECT_DIR,
                 check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_plain_loop(seed: int, recipe: str, stop_at: float = 1.1, epochs: int = 0,
                   train_limit: int = 0, precision: str = 'float32'):
  """(Timed, rows): one row per epoch with its test accuracy and seconds since start (an
  augmented recipe: one more, once its batch norms are measured again)."""
  result = timed([sys.executable, os.path.join(BENCH_DIR, 'plain_loop.py'),
                  '--recipe', recipe, '--seed', str(seed), '--epochs', str(epochs),
                  '--stop-at', str(stop_at), '--train-limit', str(train_limit),
                  '--precision', precision])
  rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{')]
  for row in rows:
    row['seconds'] = round(row.pop('time') - result.started, 1)
  return result, rows


def seconds_to_reach(rows: List[dict], accuracy: float) -> Optional[float]:
  """Wall seconds from start to the end of the first epoch at `accuracy`, or None."""
  return next((row['seconds'] for row in rows if row['accuracy'] >= accuracy), None)


def import_tfx() -> Timed:
  """`python -c "from tfx import v1"`: the floor of any TFX command's start-up."""
  return timed([sys.executable, '-c', 'from tfx import v1'])
