"""mnist-pipeline: the command line. `run` maps one flag onto each PipelineConfig field.

Exit status: 0 a model was pushed (or the pushed one is current), 3 the model was
not blessed, 2 bad input data, 1 any other failure.
"""

import argparse
import dataclasses
import os
import sys
import time
import traceback
import typing
from typing import List, Optional

from pipeline import configs

EXIT_PUSHED = 0
EXIT_FAILED = 1
EXIT_BAD_DATA = 2
EXIT_NOT_BLESSED = 3


def main(argv: Optional[List[str]] = None) -> int:
  parser = argparse.ArgumentParser(prog='mnist-pipeline', description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  commands = parser.add_subparsers(dest='command', required=True)
  run_parser = commands.add_parser('run', help='run the pipeline locally (LocalDagRunner)')
  _add_config_flags(run_parser)
  args = parser.parse_args(argv)
  return _run(_config_from_args(args))


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
  for field in dataclasses.fields(configs.PipelineConfig):
    if 'help' not in field.metadata:
      continue
    kind = field.type
    if typing.get_origin(kind) is typing.Union:  # Optional[X]: parse as X.
      kind = next(t for t in typing.get_args(kind) if t is not type(None))
    parser.add_argument('--' + field.name.replace('_', '-'), type=kind,
                        default=field.default,
                        help=f'{field.metadata["help"]} (default: {field.default})')


def _config_from_args(args: argparse.Namespace) -> configs.PipelineConfig:
  values = {f.name: getattr(args, f.name) for f in dataclasses.fields(configs.PipelineConfig)
            if hasattr(args, f.name)}
  return configs.PipelineConfig(**values)


def _run(config: configs.PipelineConfig) -> int:
  # Keras 2 (tf_keras), as TFX 1.16 is tested with; must be set before TensorFlow loads.
  os.environ['TF_USE_LEGACY_KERAS'] = '1'
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '1')
  from pipeline import local_runner  # pylint: disable=g-import-not-at-top
  from pipeline import logs  # pylint: disable=g-import-not-at-top
  from pipeline import summary  # pylint: disable=g-import-not-at-top

  config = local_runner.absolute(config)
  log_path, terminal = logs.to_file(config.log_dir)
  terminal.write(f'mnist-pipeline: data {config.data_root}, outputs {config.output_dir}\n'
                 f'Log: {log_path}\n')
  start = time.time()
  try:
    local_runner.run(config)
    failure = None
  except Exception as e:  # pylint: disable=broad-except
    failure = e
    traceback.print_exc()  # Into the log file.
  report = summary.read(config, started_at=start, wall_seconds=time.time() - start)
  terminal.write(summary.format_report(report))
  if failure is not None:
    data_error = _find_data_error(failure)
    if data_error is not None:
      terminal.write(f'error: bad input data: {data_error}\nNothing was pushed.\n')
      return EXIT_BAD_DATA
    terminal.write(f'error: the run failed: {type(failure).__name__}: {failure}\n'
                   f'The traceback is in {log_path}. Nothing was pushed.\n')
    return EXIT_FAILED
  return EXIT_PUSHED if report.pushed_to else EXIT_NOT_BLESSED


def _find_data_error(error: BaseException):
  from components.errors import DataError  # pylint: disable=g-import-not-at-top
  seen = set()
  while error is not None and id(error) not in seen:
    if isinstance(error, DataError):
      return error
    seen.add(id(error))
    error = error.__cause__ or error.__context__
  return None


if __name__ == '__main__':
  sys.exit(main())
