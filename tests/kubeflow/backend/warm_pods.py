"""Each step's pod as a process forked from one that has already imported the step's
libraries, instead of a fresh interpreter that spends 10 to 35 s importing them.

A pod starts its container's command in a fresh Python. Here a zygote, started once
per test worker, imports TensorFlow, Beam, TFX with its executors, TFDV, TFT, TFMA and
the stand-in's pod modules, and then forks one child per step. The child becomes the
pod as a fresh interpreter would: the step's environment, folder and output file,
then the pod's sitecustomize.py (the bucket loaded into ram://, the abort in teardown),
then the command's module run as `python -m` runs it. When the module returns, or
raises, or calls sys.exit, the child's interpreter ends as any does: exit handlers,
then the teardown of its modules (where KFP_STANDIN_ABORT_AT_EXIT aborts). A signal
ends it as it ends a subprocess.

What the fork cannot show, which modules a step imports, is shown by fresh processes:
tests/kubeflow/test_step_both_ways.py and bench/step_start.py start steps fresh.
"""

import importlib.util
import json
import os
import runpy
import subprocess
import sys
import tempfile
import threading
from typing import Dict, List

POD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pod')
PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
# What the steps import: TFX's entrypoint and ours, every stock executor, ours, and the
# pod modules that sitecustomize.py imports. Importing them starts no thread that holds
# a lock and runs no TensorFlow op, so forking afterwards is safe.
PRELOAD = ('tensorflow', 'tf_keras', 'apache_beam', 'tensorflow_data_validation',
           'tensorflow_model_analysis', 'tensorflow_transform.beam', 'tfx.components',
           'tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor',
           'mnist_tfx.kubeflow.entrypoint', 'mnist_tfx.pipeline.pipeline',
           'mnist_tfx.trainer_module.trainer', 'tests.kubeflow.backend.object_store',
           'tests.kubeflow.backend.pod.beam_ram', 'tests.kubeflow.backend.pod.gcs_semantics')


class Zygote:
  """The worker's zygote: run() starts one command in a forked pod and waits for it."""

  def __init__(self):
    env = dict(os.environ, PYTHONPATH=PROJECT_DIR, TF_USE_LEGACY_KERAS='1')
    env.pop('KFP_STANDIN_BUCKET', None)  # Each pod's own, set in the child.
    self._process = subprocess.Popen(
        [sys.executable, '-m', 'tests.kubeflow.backend.warm_pods'], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, env=env, cwd=PROJECT_DIR, text=True)
    self._lock = threading.Lock()

  def run(self, command: List[str], env: Dict[str, str], output: str) -> int:
    """The exit status of `command` (`python -m MODULE ARGS`), its stdout and stderr
    written to output; negative for a signal, as subprocess says."""
    python, flag, module, *args = command
    if python != sys.executable or flag != '-m':
      raise ValueError(f'not `python -m MODULE ...`: {command[:3]}')
    request = {'module': module, 'args': args, 'env': env, 'cwd': os.getcwd(),
               'output': output}
    with self._lock:
      self._process.stdin.write(json.dumps(request) + '\n')
      self._process.stdin.flush()
      answer = self._process.stdout.readline()
    if not answer:
      raise RuntimeError(f'the pod zygote ended (exit {self._process.wait()})')
    return int(answer)


_ZYGOTE = None


def run(command: List[str], env: Dict[str, str], output: str) -> int:
  """Zygote.run on this worker's zygote, started on first use."""
  global _ZYGOTE
  if _ZYGOTE is None:
    _ZYGOTE = Zygote()
  return _ZYGOTE.run(command, env, output)


def _become_the_pod(request) -> None:
  """In the child: what a fresh `python -m MODULE ARGS` in the pod would have, then MODULE."""
  null = os.open(os.devnull, os.O_RDONLY)
  os.dup2(null, 0)
  output = os.open(request['output'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
  os.dup2(output, 1)
  os.dup2(output, 2)
  for fd in (null, output):
    os.close(fd)
  os.environ.clear()
  os.environ.update(request['env'])
  os.chdir(request['cwd'])
  tempfile.tempdir = None  # Found again from the pod's TMPDIR.
  # `-m` puts the current folder first, then come PYTHONPATH's folders.
  sys.path[:0] = [request['cwd'], *request['env'].get('PYTHONPATH', '').split(os.pathsep)]
  spec = importlib.util.spec_from_file_location(
      'sitecustomize', os.path.join(POD_DIR, 'sitecustomize.py'))
  site = importlib.util.module_from_spec(spec)
  sys.modules['sitecustomize'] = site
  spec.loader.exec_module(site)  # As Python's start-up imports it: before the command.
  sys.argv = [request['module'], *request['args']]
  runpy.run_module(request['module'], run_name='__main__', alter_sys=True)


def main() -> None:
  """The zygote: imports PRELOAD, then forks a pod for each request line on stdin."""
  for name in PRELOAD:
    importlib.import_module(name)
  sys.stderr.flush()
  for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
      _become_the_pod(request)
      return  # The child's interpreter ends here, as after any `python -m`.
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == '__main__':
  main()
