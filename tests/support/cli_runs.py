"""Runs `mnist-pipeline` commands in a subprocess and reads what they printed and pushed."""

import contextlib
import io
import os
import subprocess
import sys

from tests.support.zygote import WarmProcess

# The figures the run report's page shows, by id (components/run_report/page.py).
REPORT_FIGURES = ('loss', 'accuracy', 'learning-rate', 'digit-accuracy', 'confusion',
                  'misclassified', 'label-shares')
# Two epochs on 5,000 digits reach about 95%: enough to check a model that works.
QUICK = ('--epochs', '2', '--seed', '7', '--accuracy-threshold', '0.8',
         '--digit-accuracy-floor', '0.5')

# For runs that assert no accuracy, on the tiny slice: one epoch, and any model is blessed.
TINY = ('--epochs', '1', '--seed', '7', '--accuracy-threshold', '0',
        '--digit-accuracy-floor', '0')


def start_cli(*args) -> WarmProcess:
  """`mnist-pipeline ARGS`, started in a process forked with TFX already imported
  (tests/support/zygote.py)."""
  return WarmProcess('mnist_tfx.app.cli', args)


def run_warm(*args) -> subprocess.CompletedProcess:
  """`mnist-pipeline ARGS` forked warm (start_cli), to its end."""
  result = start_cli(*args).result(timeout=1800)
  print(result.stdout, result.stderr)  # Shown by pytest when a test fails.
  return result


def run_cli(data_root, output_dir, *flags) -> subprocess.CompletedProcess:
  return run_warm('run', '--data-root', data_root, '--output-dir', output_dir, *flags)


def mnist_pipeline(*args, unprivileged: bool = False) -> subprocess.CompletedProcess:
  """`mnist-pipeline ARGS` in a fresh interpreter, imports and all.

  unprivileged: without the power to ignore file permissions (as root, setpriv
  drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), so an unreadable file is unreadable.
  """
  prefix = []
  if unprivileged and os.geteuid() == 0:
    prefix = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--']
  result = subprocess.run(
      [*prefix, sys.executable, '-m', 'mnist_tfx.app.cli', *map(str, args)],
      capture_output=True, text=True, timeout=1800, check=False)
  print(result.stdout, result.stderr)  # Shown by pytest when a test fails.
  return result


def as_a_user(*args) -> subprocess.CompletedProcess:
  """`mnist-pipeline ARGS` in a fresh interpreter, in the environment a user's shell gives
  it: without the TF_CPP_MIN_LOG_LEVEL that tests/conftest.py sets, which would quiet
  TensorFlow's C++ lines before the command has a say in where they go."""
  env = {name: value for name, value in os.environ.items() if name != 'TF_CPP_MIN_LOG_LEVEL'}
  result = subprocess.run([sys.executable, '-m', 'mnist_tfx.app.cli', *map(str, args)],
                          capture_output=True, text=True, timeout=1800, check=False, env=env)
  print(result.stdout, result.stderr)  # Shown by pytest when a test fails.
  return result


def cli_output(*args) -> tuple:
  """(exit status, stdout) of `mnist-pipeline ARGS`, in this process."""
  from mnist_tfx.app import cli  # pylint: disable=g-import-not-at-top
  out = io.StringIO()
  with contextlib.redirect_stdout(out):
    status = cli.main([str(a) for a in args])
  return status, out.getvalue()


def served_versions(output_dir):
  serving = os.path.join(output_dir, 'serving')
  return sorted(os.listdir(serving)) if os.path.isdir(serving) else []


def component_states(stdout: str) -> dict:
  states = {}
  for line in stdout.splitlines():
    words = line.split()
    if len(words) == 3 and words[1] in ('ran', 'cached', 'FAILED'):
      states[words[0]] = words[1]
  return states


def report_page(stdout: str) -> str:
  """The run report's index.html, as the summary names it."""
  return next(line.split(':', 1)[1].strip() for line in stdout.splitlines()
              if line.startswith('run report:'))
