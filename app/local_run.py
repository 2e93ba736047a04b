"""mnist-pipeline run: the pipeline on this machine, holding its output folder.

Preflight checks first (about a second, before TFX loads; the data's layout before the
output folder is made); then, if nothing has changed since the last completed run, its
outcome (pipeline/unchanged.py), without TFX; else the run with its log file, the
summary read back from ML Metadata, and the exit status.
"""

import os
import sys
import time
import traceback
from typing import Optional

from mnist_tfx.app import logs
from mnist_tfx.app import preflight
from mnist_tfx.app import run_lock
from mnist_tfx.app import summary
from mnist_tfx.app.exit_codes import EXIT_BAD_DATA
from mnist_tfx.app.exit_codes import EXIT_CANARY_FAILED
from mnist_tfx.app.exit_codes import EXIT_FAILED
from mnist_tfx.app.exit_codes import EXIT_NOT_BLESSED
from mnist_tfx.app.exit_codes import EXIT_PUSHED
from mnist_tfx.lib.contracts import Environment
from mnist_tfx.lib.errors import DataError
from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import local_runner
from mnist_tfx.pipeline import unchanged


def run(config: configs.PipelineConfig) -> int:
  """The run, holding the output folder: a second run on it refuses at once.

  Raises UsageError, DataError or run_lock.Busy when the run cannot start.
  """
  preflight.check_layout(config)
  preflight.check_output_dir(config.output_dir)
  with run_lock.hold(config.output_dir):
    preflight.check_inputs(config)
    config = local_runner.absolute(config)
    inputs_key = unchanged.inputs_key(config)  # As the run starts: once, for both uses.
    stamp = unchanged.read(config, inputs_key)
    if stamp is not None:
      print(f'mnist-pipeline: data {config.data_root}, outputs {config.output_dir}\n'
            f'nothing changed since the last run ({stamp["finished"]}): data, code, '
            'configuration, served model and artifacts are as it left them. TFX was not '
            'started; nothing new pushed, the served model stays.\n\n' + stamp['outcome'],
            end='')
      return EXIT_PUSHED
    unchanged.forget(config)
    return _run_logged(config, inputs_key)


def _run_logged(config: configs.PipelineConfig, inputs_key: str) -> int:
  """Runs with every output in the log file; the terminal gets progress and the summary."""
  log_path, terminal = logs.to_file(config.log_dir)
  os.environ[Environment.RUN_LOG] = log_path  # Named on the run report's page.
  terminal.write(f'mnist-pipeline: data {config.data_root}, outputs {config.output_dir}\n'
                 f'Log: {log_path}\n')
  # pylint: disable=g-import-not-at-top
  # Imports TFX and TensorFlow (half a minute): only once the checks have passed, and once
  # stdout and stderr go to the log file, which gets their warnings at import.
  from mnist_tfx.pipeline import run_reader
  # pylint: enable=g-import-not-at-top

  start = time.time()
  progress = logs.show_progress(terminal)
  failure = None
  try:
    local_runner.run(config)
  except Exception as e:  # pylint: disable=broad-except
    failure = e
    _log_traceback()
  finally:
    progress.stop()
  try:
    record = run_reader.latest(config.metadata_path, since=start)
  except Exception:  # pylint: disable=broad-except
    if failure is None:
      raise
    _log_traceback()  # The store is unreadable too (a full disk): the run's error says more.
    record = None
  terminal.write(summary.format_summary(record, time.time() - start, config))
  if failure is not None:
    return _report_failure(failure, record, log_path, terminal)
  if record is not None and record.components and all(
      step.state in ('ran', 'cached') for step in record.components):
    _vouch(config, inputs_key, summary.outcome(record, config))
  if record is not None and (record.pushed_to or record.all_cached()):
    return EXIT_PUSHED  # Pushed now, or nothing changed since an earlier run decided.
  if record is not None and record.canary_failure:
    return EXIT_CANARY_FAILED
  return EXIT_NOT_BLESSED


def _vouch(config: configs.PipelineConfig, inputs_key: str, outcome: str) -> None:
  """Records the completed run for the next one; without the record (a full disk, say),
  the next run asks TFX's cache, which is only slower."""
  try:
    unchanged.write(config, inputs_key, outcome)
  except OSError:
    _log_traceback()


def _report_failure(failure: BaseException, record, log_path: str, terminal) -> int:
  """The failure's one line under the summary; its exit status."""
  data_error = _find(failure, DataError)
  if data_error is not None:
    terminal.write(f'error: bad input data: {data_error}\nNothing was pushed.\n')
    return EXIT_BAD_DATA
  # The first error of the chain: a full disk surfaces as ML Metadata failing to record
  # the failure of a component that could not write, and the first error says why.
  cause = _first_cause(failure)
  failed = [step.name for step in (record.components if record else [])
            if step.state in ('FAILED', 'running')]
  terminal.write(f'error: {failed[0] if failed else "the run"} failed: '
                 f'{type(cause).__name__}: {cause}\n'
                 f'The traceback is in {log_path}. Nothing was pushed.\n')
  return EXIT_FAILED


def _log_traceback() -> None:
  """The traceback into the log file, unless the log's disk is full (the terminal gets one line)."""
  try:
    traceback.print_exc()
    sys.stderr.flush()
  except OSError:
    pass


def _first_cause(error: BaseException) -> BaseException:
  """The exception that started the chain of causes and contexts ending in `error`."""
  seen = {id(error)}
  while (error.__cause__ or error.__context__) is not None:
    error = error.__cause__ or error.__context__
    if id(error) in seen:
      break
    seen.add(id(error))
  return error


def _find(error: BaseException, kind) -> Optional[BaseException]:
  """The first exception of type `kind` in the chain of causes of `error`, or None."""
  seen = set()
  while error is not None and id(error) not in seen:
    if isinstance(error, kind):
      return error
    seen.add(id(error))
    error = error.__cause__ or error.__context__
  return None
