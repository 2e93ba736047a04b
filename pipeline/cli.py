"""mnist-pipeline: the command line. Each command maps one flag onto each configuration field.

  run                  the pipeline on this machine (LocalDagRunner)
  add-span FOLDER      validate a new batch of IDX files and add it as the next span
  history              past runs; --lineage VERSION: where a pushed version came from
  rollback VERSION     serve an earlier version again
  predict FILE...      the digit in PNG or JPEG images (files or folders), by the newest model
  kubeflow compile     the Kubeflow Pipelines spec (KubeflowV2DagRunner), see kubeflow/README.md
  kubeflow run         compile, upload as a new pipeline version, start one run
  kubeflow schedule    compile, upload, and create the recurring run that retrains

Exit status of run: 0 a model was pushed, or nothing changed since an earlier run
(all cached: a scheduled run without new data), 3 the model was not blessed, 2 bad
input data (or drift), 1 any other failure.
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
from pipeline import run_lock

EXIT_OK = 0
EXIT_PUSHED = EXIT_OK
EXIT_FAILED = 1
EXIT_BAD_DATA = 2
EXIT_NOT_BLESSED = 3


def main(argv: Optional[List[str]] = None) -> int:
  parser = argparse.ArgumentParser(prog='mnist-pipeline', description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  commands = parser.add_subparsers(dest='command', required=True)
  run_parser = commands.add_parser('run', help='run the pipeline locally (LocalDagRunner)')
  _add_config_flags(run_parser, configs.PipelineConfig)
  add_span_parser = commands.add_parser('add-span', help='add a batch of IDX files as the next span')
  add_span_parser.add_argument('folder', help='folder with train-* and optionally t10k-* IDX files')
  add_span_parser.add_argument('--data-root', default=configs.PipelineConfig.data_root)
  history_parser = commands.add_parser('history', help='past runs, or the lineage of a version')
  history_parser.add_argument('--output-dir', default=configs.PipelineConfig.output_dir)
  history_parser.add_argument('--lineage', metavar='VERSION',
                              help='show where this pushed version came from')
  rollback_parser = commands.add_parser('rollback', help='serve an earlier version again')
  rollback_parser.add_argument('version', help='the version to serve (see history)')
  rollback_parser.add_argument('--output-dir', default=configs.PipelineConfig.output_dir)
  predict_parser = commands.add_parser(
      'predict', help='the digit in each image file, by the newest pushed model')
  predict_parser.add_argument(
      'files', nargs='+', metavar='FILE',
      help='PNG or JPEG files of one handwritten digit each, or folders of them')
  predict_parser.add_argument('--output-dir', default=configs.PipelineConfig.output_dir)
  predict_parser.add_argument('--json', action='store_true',
                              help='print JSON (file, digit, probability, all ten probabilities)')
  kubeflow_parser = commands.add_parser('kubeflow', help='compile, run or schedule on Kubeflow')
  kubeflow_commands = kubeflow_parser.add_subparsers(dest='kubeflow_command', required=True)
  for name, help_text in (('compile', 'write the pipeline spec'),
                          ('run', 'compile, upload and start one run'),
                          ('schedule', 'compile, upload and create the recurring run')):
    command = kubeflow_commands.add_parser(name, help=help_text)
    _add_config_flags(command, configs.PipelineConfig)
    _add_config_flags(command, configs.KubeflowConfig)
    if name != 'compile':
      _add_backend_flags(command, schedule=name == 'schedule')
  args = parser.parse_args(argv)
  if args.command == 'run':
    return _run(_config_from_args(args, configs.PipelineConfig))
  if args.command == 'kubeflow':
    return _kubeflow(args)
  return _manage(args)


def _add_config_flags(parser: argparse.ArgumentParser, config_class) -> None:
  for field in dataclasses.fields(config_class):
    if 'help' not in field.metadata:
      continue
    if field.type is bool:
      parser.add_argument('--' + field.name.replace('_', '-'), action='store_true',
                          help=field.metadata['help'])
      continue
    kind = field.type
    if typing.get_origin(kind) is typing.Union:  # Optional[X]: parse as X.
      kind = next(t for t in typing.get_args(kind) if t is not type(None))
    parser.add_argument('--' + field.name.replace('_', '-'), type=kind,
                        default=field.default,
                        help=f'{field.metadata["help"]} (default: {field.default})')


def _config_from_args(args: argparse.Namespace, config_class):
  values = {f.name: getattr(args, f.name) for f in dataclasses.fields(config_class)
            if hasattr(args, f.name)}
  return config_class(**values)


def _add_backend_flags(parser: argparse.ArgumentParser, schedule: bool) -> None:
  parser.add_argument('--host', default=os.environ.get('KF_PIPELINES_ENDPOINT'),
                      help='Kubeflow Pipelines API endpoint, e.g. http://localhost:8080 '
                      'through kubectl port-forward (default: $KF_PIPELINES_ENDPOINT)')
  parser.add_argument('--namespace', default='',
                      help='user namespace of a multi-user Kubeflow (default: none, '
                      'standalone Kubeflow Pipelines)')
  parser.add_argument('--experiment', default=configs.PIPELINE_NAME,
                      help='experiment the runs are filed under (default: %(default)s)')
  parser.add_argument('--service-account', default='',
                      help='Kubernetes service account of the pipeline pods (default: '
                      "the backend's, pipeline-runner, bound to a Google service account "
                      'by Workload Identity)')
  if schedule:
    parser.add_argument('--cron', default='0 0 3 * * 1',
                        help='when to run, as a cron expression with seconds first '
                        '(default: %(default)s, Mondays at 03:00 UTC)')


def _manage(args: argparse.Namespace) -> int:
  """add-span, history, rollback, predict: each ends with one line on failure, no traceback."""
  from components.errors import DataError  # pylint: disable=g-import-not-at-top
  try:
    if args.command == 'add-span':
      from components.idx_example_gen import spans  # pylint: disable=g-import-not-at-top
      span = spans.add_span(args.folder, args.data_root)
      print(f'Added span {span.number}: {span.folder}')
      return EXIT_OK
    os.environ['TF_USE_LEGACY_KERAS'] = '1'
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    config = configs.PipelineConfig(output_dir=args.output_dir)
    if args.command == 'history':
      from pipeline import history  # pylint: disable=g-import-not-at-top
      print(history.lineage(config, args.lineage) if args.lineage else history.runs(config),
            end='')
      return EXIT_OK
    if args.command == 'predict':
      from pipeline import predict  # pylint: disable=g-import-not-at-top
      model_dir, predictions = predict.predict(args.files, config.serving_dir)
      print((predict.format_json if args.json else predict.format_lines)(predictions, model_dir),
            end='')
      return EXIT_OK
    from components import serving_dir  # pylint: disable=g-import-not-at-top
    with run_lock.hold(config.output_dir):
      new_version = serving_dir.rollback(config.serving_dir, args.version)
    print(f'Version {new_version} now serves the model of version {args.version}.')
    return EXIT_OK
  except DataError as e:
    print(f'error: bad input data: {e}', file=sys.stderr)
    return EXIT_BAD_DATA
  except ValueError as e:
    print(f'error: {e}', file=sys.stderr)
    return EXIT_FAILED
  except run_lock.Busy as e:
    print(f'error: {e}', file=sys.stderr)
    return EXIT_FAILED


def _kubeflow(args: argparse.Namespace) -> int:
  """Compiles, then uploads and runs or schedules; one line per failure, no traceback."""
  os.environ['TF_USE_LEGACY_KERAS'] = '1'
  # Compiling runs no TensorFlow op: hide the CUDA plugin noise of its import.
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  from kubeflow import compiler  # pylint: disable=g-import-not-at-top
  from kubeflow import submit  # pylint: disable=g-import-not-at-top

  config = _config_from_args(args, configs.PipelineConfig)
  cluster = _config_from_args(args, configs.KubeflowConfig)
  try:
    compiler.check_cluster_paths(config)
    if args.kubeflow_command != 'compile' and not args.host:
      raise ValueError('--host (or $KF_PIPELINES_ENDPOINT) is needed to reach Kubeflow Pipelines')
    package = compiler.compile_pipeline(config, cluster)
    print(f'Pipeline spec: {package}')
    if args.kubeflow_command == 'compile':
      return EXIT_OK
    backend = submit.Submitter(args.host, args.namespace, args.experiment,
                               args.service_account)
    pipeline_id, version_id = backend.upload(package, description=f'image {cluster.image}')
    print(f'Pipeline {pipeline_id}, version {version_id}')
    if args.kubeflow_command == 'run':
      print(f'Run: {backend.run(pipeline_id, version_id, config.pipeline_root)}')
    else:
      schedule_id = backend.schedule(pipeline_id, version_id, config.pipeline_root, args.cron)
      print(f'Recurring run: {schedule_id} ({args.cron})')
    return EXIT_OK
  except (ValueError, submit.BackendError) as e:
    print(f'error: {e}', file=sys.stderr)
    return EXIT_FAILED


def _run(config: configs.PipelineConfig) -> int:
  """The run, holding the output folder: a second run on it refuses at once.

  The inputs are read through ingestion's checks first, before TFX loads.
  """
  from components.errors import DataError  # pylint: disable=g-import-not-at-top
  from pipeline import preflight  # pylint: disable=g-import-not-at-top
  try:
    preflight.check_output_dir(config.output_dir)
    with run_lock.hold(config.output_dir):
      try:
        preflight.check_inputs(config)
      except DataError as e:
        print(f'error: bad input data: {e}. Nothing was run.', file=sys.stderr)
        return EXIT_BAD_DATA
      return _run_holding_output_dir(config)
  except (preflight.Refused, run_lock.Busy, ValueError) as e:
    print(f'error: {e}. Nothing was run.', file=sys.stderr)
    return EXIT_FAILED


def _run_holding_output_dir(config: configs.PipelineConfig) -> int:
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
    _log_traceback()
  try:
    report = summary.read(config, started_at=start, wall_seconds=time.time() - start)
  except Exception:  # pylint: disable=broad-except
    if failure is None:
      raise
    _log_traceback()  # The store is unreadable too (a full disk): the run's error says more.
    report = summary.Report(wall_seconds=time.time() - start)
  terminal.write(summary.format_report(report))
  if failure is not None:
    from components.errors import DataError  # pylint: disable=g-import-not-at-top
    data_error = _find(failure, DataError)
    if data_error is not None:
      terminal.write(f'error: bad input data: {data_error}\nNothing was pushed.\n')
      return EXIT_BAD_DATA
    # The first error of the chain: a full disk surfaces as ML Metadata failing to record
    # the failure of a component that could not write, and the first error says why.
    cause = _first_cause(failure)
    failed = [name for name, state, _ in report.components if state in ('FAILED', 'running')]
    terminal.write(f'error: {failed[0] if failed else "the run"} failed: '
                   f'{type(cause).__name__}: {cause}\n'
                   f'The traceback is in {log_path}. Nothing was pushed.\n')
    return EXIT_FAILED
  if report.pushed_to or report.all_cached():
    return EXIT_PUSHED  # Pushed now, or nothing changed since an earlier run decided.
  return EXIT_NOT_BLESSED


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


def _find(error: BaseException, kind):
  """The first exception of type `kind` in the chain of causes of `error`, or None."""
  seen = set()
  while error is not None and id(error) not in seen:
    if isinstance(error, kind):
      return error
    seen.add(id(error))
    error = error.__cause__ or error.__context__
  return None


if __name__ == '__main__':
  sys.exit(main())
