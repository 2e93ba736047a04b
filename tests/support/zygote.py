"""`python -m MODULE ARGS` in a process forked from one that has already imported TFX.

A pipeline run or a Kubeflow step in a fresh interpreter spends 10 to 35 s importing
TensorFlow, Beam, TFDV, TFT, TFMA and TFX before its first component: more than the
components of a run on the tiny slice take, and the full tier starts dozens of them.
So the tests start them here. A zygote, started once per test worker, imports PRELOAD
and then forks one child per command. The child becomes the command's process as a
fresh interpreter would have it: its environment, folder, Python path, temporary
folder, stdin, stdout and stderr, and for a Kubeflow step the pod's sitecustomize.py;
then it runs MODULE as `python -m` does. When MODULE returns, raises or calls
sys.exit, the child's interpreter ends as any does: exit handlers, then the teardown
of its modules. It has its own pid; a signal ends it as it ends a subprocess.

What a fork cannot show, which modules a command imports, fresh processes show:
the paths that must not import TFX (option checks, preflight, a no-change run) run
fresh (tests/support/cli_runs.mnist_pipeline), test_step_both_ways.py starts our
Kubeflow steps fresh, and `.ci/run`'s main job is a fresh `bin/run`.
tests/support/test_zygote.py and tests/kubeflow/test_warm_pods.py compare the two.
"""

import importlib
import importlib.util
import json
import os
import runpy
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Tuple

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What a `mnist-pipeline run` and the Kubeflow steps import (TFX's entrypoint and ours,
# every stock executor). Importing them runs no TensorFlow op and starts no Python
# thread; the native threads they leave are idle pools (numpy's BLAS, pyarrow's
# jemalloc), which a fork does not copy. So a child starts TensorFlow's runtime as a
# fresh process does, and every story test runs in such children.
PRELOAD = ('tensorflow', 'tf_keras', 'apache_beam', 'tensorflow_data_validation',
           'tensorflow_model_analysis', 'tensorflow_transform.beam', 'tfx.components',
           'tfx.orchestration.local.local_dag_runner',
           'tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor',
           'mnist_tfx.app.cli', 'mnist_tfx.app.local_run', 'mnist_tfx.pipeline.pipeline',
           'mnist_tfx.trainer_module.trainer', 'mnist_tfx.kubeflow.entrypoint')


class _Zygote:
  """The zygote process, seen from a test worker: one child at a time."""

  def __init__(self):
    env = dict(os.environ, PYTHONPATH=PROJECT_DIR, TF_USE_LEGACY_KERAS='1')
    self.process = subprocess.Popen([sys.executable, '-m', 'tests.support.zygote'],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    env=env, cwd=PROJECT_DIR)
    self.lock = threading.Lock()  # Held from a child's start until its status is read.
    self._pending = b''

  def send(self, request: dict) -> None:
    self.process.stdin.write(json.dumps(request).encode() + b'\n')
    self.process.stdin.flush()

  def readable(self) -> bool:
    return b'\n' in self._pending or bool(
        select.select([self.process.stdout], [], [], 0)[0])

  def read_line(self, timeout: Optional[float]) -> Optional[int]:
    """The zygote's next answer (a number); None if none came within timeout s."""
    deadline = None if timeout is None else time.time() + timeout
    while b'\n' not in self._pending:
      left = None if deadline is None else max(0.0, deadline - time.time())
      if not select.select([self.process.stdout], [], [], left)[0]:
        return None
      chunk = os.read(self.process.stdout.fileno(), 4096)
      if not chunk:
        raise RuntimeError(f'the zygote ended (exit {self.process.wait()})')
      self._pending += chunk
    line, self._pending = self._pending.split(b'\n', 1)
    return int(line)


_ZYGOTE: Optional[_Zygote] = None


def split_python_m(command: List[str]) -> Tuple[str, List[str]]:
  """(MODULE, ARGS) of `[sys.executable, '-m', MODULE, *ARGS]`, the one form forked here."""
  python, flag, module, *args = command
  if (python, flag) != (sys.executable, '-m'):
    raise ValueError(f'not `python -m MODULE ...`: {command[:3]}')
  return module, args


class WarmProcess:
  """A started `python -m MODULE ARGS`, with subprocess.Popen's pid, wait and send_signal.

  stdout and stderr go to two temporary files, or both to output if it is given.
  site: a sitecustomize.py to run first, as Python's start-up runs the one on its path.
  """

  def __init__(self, module: str, args, env: Optional[Dict[str, str]] = None,
               site: Optional[str] = None, output: Optional[str] = None):
    global _ZYGOTE
    if _ZYGOTE is None:
      _ZYGOTE = _Zygote()
    self._zygote = _ZYGOTE
    self.args = [str(a) for a in args]
    self.returncode = None
    self._folder = None if output else tempfile.mkdtemp(prefix='zygote.')
    self.stdout_path = output or os.path.join(self._folder, 'stdout')
    self.stderr_path = output or os.path.join(self._folder, 'stderr')
    for path in {self.stdout_path, self.stderr_path}:
      open(path, 'w').close()
    self._zygote.lock.acquire()
    try:
      self._zygote.send({'module': module, 'args': self.args,
                         'env': dict(os.environ) if env is None else env, 'cwd': os.getcwd(),
                         'stdout': self.stdout_path, 'stderr': self.stderr_path, 'site': site})
      self.pid = self._zygote.read_line(timeout=None)
    except BaseException:
      self._zygote.lock.release()
      raise

  def ended(self) -> bool:
    """Whether the process has ended, without collecting its status (any thread may ask)."""
    return self.returncode is not None or self._zygote.readable()

  def wait(self, timeout: Optional[float] = None) -> int:
    if self.returncode is None:
      code = self._zygote.read_line(timeout)
      if code is None:
        raise subprocess.TimeoutExpired(self.args, timeout)
      self.returncode = code  # -N when killed by signal N, as Popen says.
      self._zygote.lock.release()
    return self.returncode

  def send_signal(self, signal_number: int) -> None:
    if not self.ended():
      os.kill(self.pid, signal_number)

  def lines(self):
    """The lines of stdout as they are written, until the process ends."""
    with open(self.stdout_path) as f:
      pending = ''
      while True:
        ended = self.ended()  # Before reading, so that nothing written last is missed.
        pending += f.read()
        *complete, pending = pending.split('\n')
        yield from (line + '\n' for line in complete)
        if ended:
          if pending:
            yield pending
          return
        time.sleep(0.02)

  def result(self, timeout: Optional[float] = None) -> subprocess.CompletedProcess:
    """Waits (killing the process after timeout s, as subprocess.run does), then what it
    printed; its temporary files are removed."""
    try:
      self.wait(timeout)
    except subprocess.TimeoutExpired:
      os.kill(self.pid, signal.SIGKILL)
      self.wait()
      raise
    finally:
      with open(self.stdout_path) as out, open(self.stderr_path) as err:
        stdout, stderr = out.read(), err.read()
      if self._folder:
        shutil.rmtree(self._folder)
    return subprocess.CompletedProcess(self.args, self.returncode, stdout, stderr)


def _become(request: dict) -> None:
  """In the child: what a fresh `python -m MODULE ARGS` would have, then MODULE."""
  null = os.open(os.devnull, os.O_RDONLY)
  os.dup2(null, 0)
  os.close(null)
  for fd, path in ((1, request['stdout']), (2, request['stderr'])):
    opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(opened, fd)
    os.close(opened)
  os.environ.clear()
  os.environ.update(request['env'])
  os.chdir(request['cwd'])
  tempfile.tempdir = None  # Found again from this TMPDIR.
  # `-m` puts the current folder first, then come PYTHONPATH's folders.
  python_path = [p for p in request['env'].get('PYTHONPATH', '').split(os.pathsep) if p]
  sys.path[:0] = [request['cwd'], *python_path]
  if request['site']:
    spec = importlib.util.spec_from_file_location('sitecustomize', request['site'])
    site = importlib.util.module_from_spec(spec)
    sys.modules['sitecustomize'] = site
    spec.loader.exec_module(site)  # As Python's start-up runs it: before the command.
  sys.argv = [request['module'], *request['args']]
  runpy.run_module(request['module'], run_name='__main__', alter_sys=True)


def main() -> None:
  """The zygote: imports PRELOAD, then forks a child for each request line on stdin,
  answering its pid, then its exit status."""
  for name in PRELOAD:
    importlib.import_module(name)
  sys.stderr.flush()
  for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
      _become(request)
      return  # The child's interpreter ends here, as after any `python -m`.
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == '__main__':
  main()
