"""`mnist-pipeline ARGS` in its own process, forked from one that has already imported TFX.

A pipeline run in a fresh interpreter spends 20 to 30 s importing TensorFlow, Beam, TFDV,
TFT, TFMA and TFX before its first component: more than all the components of a run on
the tiny slice take, and the suite runs the pipeline dozens of times. So the tests that
run the pipeline start it here. Each run is still a process of its own, with its own
pid, exit status, signals, environment, folder, stdout and stderr, running
`python -m mnist_tfx.app.cli ARGS` as a fresh one would, except that its imports are
already done: it is forked by Python's forkserver (multiprocessing), which imported
PRELOAD once per test worker.

What a fork cannot show is left to fresh processes: the paths that must not import
TFX (option checks, preflight, a no-change run) are run fresh by
tests/support/cli_runs.mnist_pipeline, and `.ci/run`'s main job is a fresh `bin/run`.
"""

import multiprocessing
import multiprocessing.connection
import os
import runpy
import subprocess
import sys
import tempfile
import time

# What a `mnist-pipeline run` imports before and during its components. Importing
# them starts no thread that holds a lock and runs no TensorFlow op, so a process
# forked afterwards starts as clean as a fresh one. (Python 3.10's forkserver imports
# these with its own sys.path, not the caller's: so none of them is under tests/.)
PRELOAD = ['tensorflow', 'tf_keras', 'apache_beam', 'tensorflow_data_validation',
           'tensorflow_model_analysis', 'tensorflow_transform.beam',
           'tfx.components',  # Every stock executor the launcher may load.
           'tfx.orchestration.local.local_dag_runner', 'mnist_tfx.app.cli',
           'mnist_tfx.app.local_run', 'mnist_tfx.pipeline.pipeline',
           'mnist_tfx.trainer_module.trainer']

_FORKSERVER = multiprocessing.get_context('forkserver')
_FORKSERVER.set_forkserver_preload(PRELOAD)


def _child(args, env: dict, cwd: str, stdout: str, stderr: str) -> None:
  """Runs in the fork: stdio, environment and folder as a subprocess would have them,
  then the command's module as `python -m` runs it (app/cli.py ends the process)."""
  for fd, path in ((1, stdout), (2, stderr)):
    opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(opened, fd)
    os.close(opened)
  os.environ.clear()
  os.environ.update(env)
  os.chdir(cwd)
  sys.argv = ['mnist_tfx.app.cli', *args]
  runpy.run_module('mnist_tfx.app.cli', run_name='__main__', alter_sys=True)


class WarmRun:
  """A started `mnist-pipeline ARGS`, with subprocess.Popen's pid, wait and send_signal."""

  def __init__(self, *args):
    self.args = [str(a) for a in args]
    self._folder = tempfile.mkdtemp(prefix='warm_cli.')
    self.stdout_path = os.path.join(self._folder, 'stdout')
    self.stderr_path = os.path.join(self._folder, 'stderr')
    open(self.stdout_path, 'w').close()  # So that lines() can open it at once.
    self._process = _FORKSERVER.Process(
        target=_child, args=(self.args, dict(os.environ), os.getcwd(), self.stdout_path,
                             self.stderr_path))
    self._process.start()
    self.pid = self._process.pid
    self.returncode = None

  def _ended(self) -> bool:
    """Whether the process has ended, without collecting its status (any thread may ask)."""
    return bool(multiprocessing.connection.wait([self._process.sentinel], timeout=0))

  def wait(self, timeout=None) -> int:
    self._process.join(timeout)
    if self._process.exitcode is None:
      raise subprocess.TimeoutExpired(self.args, timeout)
    self.returncode = self._process.exitcode  # -N when killed by signal N, as Popen says.
    return self.returncode

  def send_signal(self, signal_number: int) -> None:
    if not self._ended():
      os.kill(self.pid, signal_number)

  def lines(self):
    """The lines of stdout as they are written, until the process ends."""
    with open(self.stdout_path) as f:
      pending = ''
      while True:
        ended = self._ended()  # Before reading, so that nothing written last is missed.
        pending += f.read()
        *complete, pending = pending.split('\n')
        yield from (line + '\n' for line in complete)
        if ended:
          if pending:
            yield pending
          return
        time.sleep(0.02)

  def result(self, timeout=None) -> subprocess.CompletedProcess:
    """Waits (killing the process after timeout s, as subprocess.run does), then what
    it printed; the temporary files are removed."""
    try:
      self.wait(timeout)
    except subprocess.TimeoutExpired:
      self._process.kill()
      self._process.join()
      raise
    finally:
      with open(self.stdout_path) as out, open(self.stderr_path) as err:
        stdout, stderr = out.read(), err.read()
      for path in (self.stdout_path, self.stderr_path):
        os.remove(path)
      os.rmdir(self._folder)
    return subprocess.CompletedProcess(['mnist-pipeline', *self.args], self.returncode,
                                       stdout, stderr)
