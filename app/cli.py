"""mnist-pipeline: the command line. Each command maps one flag onto each configuration field.

  run                  the pipeline on this machine (LocalDagRunner)
  add-span FOLDER      validate a new batch of IDX files and add it as the next span
  history              past runs; --lineage VERSION: where a pushed version came from
  rollback VERSION     serve an earlier version again
  status               the version served: its accuracy, its push, the versions kept
  watch INBOX          add each complete batch dropped into INBOX as a span, then run
  predict FILE...      the digit in PNG or JPEG images (files or folders), by the newest model
  kubeflow compile     the Kubeflow Pipelines spec (KubeflowV2DagRunner), see kubeflow/README.md
  kubeflow run         compile, upload as a new pipeline version, start one run
  kubeflow schedule    compile, upload, and create the recurring run that retrains
  kubeflow serving     the TF Serving manifests for GKE; --apply applies them

Every option is checked before anything runs: a bad value is one line naming the flag,
the value and what is allowed, exit status 2.

Exit status of run: 0 a model was pushed, or nothing changed since an earlier run
(all cached: a scheduled run without new data), 3 the model was not blessed, 4 it was
blessed but its staged copy failed the canary (not published), 2 bad input data (or
drift) or a bad option, 1 any other failure.
"""

import argparse
import contextlib
import dataclasses
import os
import sys
import typing
from typing import List, Optional

from mnist_tfx.app import logs
from mnist_tfx.app import options
from mnist_tfx.app import run_lock
from mnist_tfx.app.exit_codes import EXIT_BAD_DATA
from mnist_tfx.app.exit_codes import EXIT_BAD_OPTION
from mnist_tfx.app.exit_codes import EXIT_FAILED
from mnist_tfx.app.exit_codes import EXIT_NOT_BLESSED  # noqa: F401 (the statuses, for callers)
from mnist_tfx.app.exit_codes import EXIT_OK
from mnist_tfx.app.exit_codes import EXIT_PUSHED  # noqa: F401
from mnist_tfx.kubeflow import configs as kubeflow_configs
from mnist_tfx.kubeflow.submit import BackendError
from mnist_tfx.lib.errors import DataError
from mnist_tfx.lib.errors import OptionError
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.lib.options import flag
from mnist_tfx.lib.process_exit import exit_now
from mnist_tfx.pipeline import configs

# Commands import what they need when they run: TFX and TensorFlow take half a minute
# to import, which --help, add-span and a refused run should not pay.
# pylint: disable=g-import-not-at-top


def main(argv: Optional[List[str]] = None) -> int:
  """Runs one command. The user's mistakes and bad data end in one line; anything else is a
  bug and keeps its traceback."""
  args = _parser().parse_args(argv)
  try:
    options.check(args)
  except OptionError as e:
    print(f'error: {e}{args.refused_note}', file=sys.stderr)
    return EXIT_BAD_OPTION
  _set_environment(args.tf_log_level)
  # Other libraries' warnings and logs: `run` sends them to its log file (app/local_run.py);
  # the local commands without one, nowhere.
  quiet = (logs.others_to_nowhere()
           if args.command in ('add-span', 'history', 'predict', 'rollback', 'status', 'watch')
           else contextlib.nullcontext())
  with quiet:
    try:
      return args.command_function(args)
    except DataError as e:
      print(f'error: bad input data: {e}{args.refused_note}', file=sys.stderr)
      return EXIT_BAD_DATA
    except (UsageError, run_lock.Busy, BackendError) as e:
      print(f'error: {e}{args.refused_note}', file=sys.stderr)
      return EXIT_FAILED


def entry() -> typing.NoReturn:
  """The `mnist-pipeline` command: main(), then the process ends without the interpreter's
  teardown of TensorFlow (lib/process_exit.py), seconds after every command that imports it."""
  exit_now(main())


def _set_environment(tf_log_level: str) -> None:
  """Before anything imports TensorFlow: Keras 2 (tf_keras), as TFX 1.16 is tested with."""
  os.environ['TF_USE_LEGACY_KERAS'] = '1'
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', tf_log_level)


def run(args: argparse.Namespace) -> int:
  from mnist_tfx.app import local_run
  return local_run.run(_config_from_args(args, configs.PipelineConfig))


def add_span(args: argparse.Namespace) -> int:
  from mnist_tfx.lib import spans
  span = spans.add_span(args.folder, args.data_root)
  print(f'Added span {span.number}: {span.folder}')
  return EXIT_OK


def watch(args: argparse.Namespace) -> int:
  """Adds each complete batch of INBOX as the next span and runs, until SIGINT or SIGTERM."""
  from mnist_tfx.app import watch as watch_lib
  return watch_lib.watch(args.inbox, _config_from_args(args, configs.PipelineConfig),
                         args.settle_seconds)


def history(args: argparse.Namespace) -> int:
  options.check_store(args.output_dir)
  from mnist_tfx.app import history as history_lib
  config = configs.PipelineConfig(output_dir=args.output_dir)
  if args.lineage:
    print(history_lib.lineage(config, args.lineage), end='')
  else:
    print(history_lib.runs(config), end='')
  return EXIT_OK


def rollback(args: argparse.Namespace) -> int:
  """Serves the version's model again; if it is served already, says so and writes nothing
  (exit status 0: what was asked for holds)."""
  options.check_store(args.output_dir)
  from mnist_tfx.lib import serving_dir
  config = configs.PipelineConfig(output_dir=args.output_dir)
  new_version = None
  if serving_dir.served_as(config.serving_dir, args.version) is None:  # Else not even the lock.
    with run_lock.hold(config.output_dir):
      new_version = serving_dir.rollback(config.serving_dir, args.version)
  pushed = serving_dir.origin(config.serving_dir, args.version)
  if new_version is None:
    served = serving_dir.latest_version(config.serving_dir)
    as_served = '' if served == args.version else f' (version {served} holds its model)'
    print(f'Version {args.version} is already served{as_served}; nothing was written.')
  else:
    print(f'Version {new_version} now serves the model of version {pushed}.')
  return EXIT_OK


def status(args: argparse.Namespace) -> int:
  options.check_store(args.output_dir)
  from mnist_tfx.app import status as status_lib
  config = configs.PipelineConfig(output_dir=args.output_dir)
  found = status_lib.read(config)
  if args.json:
    print(found.to_json())
  else:
    print(status_lib.format_text(found, config), end='')
  return EXIT_OK


def predict(args: argparse.Namespace) -> int:
  from mnist_tfx.app import predict as predict_lib
  config = configs.PipelineConfig(output_dir=args.output_dir)
  answer = predict_lib.predict(args.files, config.serving_dir)
  for problem in answer.refused:  # One line each; the other files are still answered.
    print(f'error: bad input data: {problem}', file=sys.stderr)
  if args.json:
    print(predict_lib.format_json(answer), end='')
  elif answer.predictions:
    print(predict_lib.format_lines(answer), end='')
  return EXIT_BAD_DATA if answer.refused else EXIT_OK


def kubeflow(args: argparse.Namespace) -> int:
  """Checks the host, compiles, then uploads and runs or schedules. What TFX, TensorFlow
  and kfp write to stderr stays off the terminal (logs.others_held)."""
  from mnist_tfx.kubeflow import submit

  config = _config_from_args(args, configs.PipelineConfig)
  cluster = _config_from_args(args, kubeflow_configs.KubeflowConfig)
  if args.kubeflow_command != 'compile':
    submit.check_reachable(args.host)  # Before the half minute of compiling.
  with logs.others_held():
    from mnist_tfx.kubeflow import compiler
    package = compiler.compile_pipeline(config, cluster)
  print(f'Pipeline spec: {package}')
  if args.kubeflow_command == 'compile':
    return EXIT_OK
  with logs.others_held():
    backend = submit.Submitter(args.host, args.namespace, args.experiment,
                               args.service_account)
    pipeline_id, version_id = backend.upload(package, description=f'image {cluster.image}')
  print(f'Pipeline {pipeline_id}, version {version_id}')
  with logs.others_held():
    if args.kubeflow_command == 'run':
      started = backend.run(pipeline_id, version_id, config.pipeline_root)
    else:
      started = backend.schedule(pipeline_id, version_id, config.pipeline_root, args.cron)
  if args.kubeflow_command == 'run':
    print(f'Run: {started} ({backend.run_page(started)})')
  else:
    print(f'Recurring run: {started} ({args.cron})')
  return EXIT_OK


def kubeflow_serving(args: argparse.Namespace) -> int:
  """Writes TF Serving's manifests for the bucket the pipeline pushes to; --apply applies
  them. Every option was checked before (app/options.py), so a bad one wrote nothing."""
  from mnist_tfx.kubeflow import serving
  from mnist_tfx.kubeflow import submit

  config = _config_from_args(args, configs.PipelineConfig)
  cluster = _config_from_args(args, kubeflow_configs.KubeflowConfig)
  package = serving.render(config, cluster)
  print(f'TF Serving manifests: {package} (model base path {config.serving_dir})')
  if args.apply:
    with logs.others_held():  # The Kubernetes client's urllib3 retries, and its logs.
      applied = serving.apply(serving.manifests(config, cluster))
    for name in applied:
      print(f'applied {name}')
  return EXIT_OK


class _PrintVersion(argparse.Action):
  """--version: argparse's own version action, but the installed package's version is looked
  up only when asked (importlib.metadata costs every other command 60 ms). The package is
  pyproject.toml's [project] name; bin/setup installs it again when that file changes."""

  def __init__(self, option_strings, dest, **kwargs):
    super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

  def __call__(self, parser, namespace, values, option_string=None):
    import importlib.metadata
    print(f'{parser.prog} {importlib.metadata.version("mnist-tfx")}')  # On stdout, as argparse's.
    parser.exit(EXIT_OK)


class _OneLineErrors(argparse.ArgumentParser):
  """A flag's wrong type or value in one line, `error: ...`, exit status 2, no usage: every
  command's parser is one, as options.check's refusals are one line."""

  def error(self, message):
    self.exit(EXIT_BAD_OPTION, f'error: {message}\n')


def _parser() -> argparse.ArgumentParser:
  parser = _OneLineErrors(prog='mnist-pipeline', description=__doc__,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
  # Quiet TensorFlow's C++ logs, except during a run (they go to its log file there).
  parser.set_defaults(tf_log_level='3', refused_note='')
  parser.add_argument('--version', action=_PrintVersion,
                      help="print the package's version (pyproject.toml's) and exit")
  commands = parser.add_subparsers(dest='command', required=True, parser_class=_OneLineErrors)

  run_parser = commands.add_parser('run', help='run the pipeline locally (LocalDagRunner)')
  _add_config_flags(run_parser, configs.PipelineConfig)
  run_parser.set_defaults(command_function=run, tf_log_level='1',
                          refused_note='. Nothing was run.')

  add_span_parser = commands.add_parser('add-span',
                                        help='add a batch of IDX files as the next span')
  add_span_parser.add_argument('folder', help='folder with train-* and optionally t10k-* IDX files')
  add_span_parser.add_argument('--data-root', default=configs.PipelineConfig.data_root)
  add_span_parser.set_defaults(command_function=add_span)

  watch_parser = commands.add_parser(
      'watch', help='add each new batch of INBOX as the next span, and run (until Ctrl-C)')
  watch_parser.add_argument(
      'inbox', metavar='INBOX', help='folder the batches arrive in: each a folder of '
      'train-* and optionally t10k-* IDX files, as add-span takes')
  watch_parser.add_argument(
      '--settle-seconds', type=float, default=options.SETTLE_SECONDS,
      help='a batch is taken once none of its files has changed for this long '
      '(default: %(default)s)')
  _add_config_flags(watch_parser, configs.PipelineConfig)
  watch_parser.set_defaults(command_function=watch, tf_log_level='1',
                            refused_note='. Nothing was run.')

  history_parser = commands.add_parser('history', help='past runs, or the lineage of a version')
  history_parser.add_argument('--output-dir', default=configs.PipelineConfig.output_dir)
  history_parser.add_argument('--lineage', metavar='VERSION',
                              help='show where this pushed version came from')
  history_parser.set_defaults(command_function=history)

  status_parser = commands.add_parser(
      'status', help='the version served: its accuracy, when and by which run it was pushed')
  status_parser.add_argument('--output-dir', default=configs.PipelineConfig.output_dir)
  status_parser.add_argument('--json', action='store_true', help='print the same as JSON')
  status_parser.set_defaults(command_function=status)

  rollback_parser = commands.add_parser('rollback', help='serve an earlier version again')
  rollback_parser.add_argument('version', help='the version to serve (see history)')
  rollback_parser.add_argument('--output-dir', default=configs.PipelineConfig.output_dir)
  rollback_parser.set_defaults(command_function=rollback)

  predict_parser = commands.add_parser(
      'predict', help='the digit in each image file, by the newest pushed model')
  predict_parser.add_argument(
      'files', nargs='+', metavar='FILE',
      help='PNG or JPEG files of one handwritten digit each, or folders of them; a file '
           'that cannot be read is refused on its own line, the others are answered, '
           'and the exit status is then 2')
  predict_parser.add_argument('--output-dir', default=configs.PipelineConfig.output_dir)
  predict_parser.add_argument('--json', action='store_true',
                              help='print JSON (file, digit, probability, all ten '
                                   'probabilities, why it is unsure; the files refused)')
  predict_parser.set_defaults(command_function=predict)

  kubeflow_parser = commands.add_parser(
      'kubeflow', help='compile, run or schedule on Kubeflow; TF Serving on GKE')
  kubeflow_commands = kubeflow_parser.add_subparsers(dest='kubeflow_command', required=True,
                                                     parser_class=_OneLineErrors)
  # Each command shows the flags of the fields it reads (kubeflow/configs.py); the paths
  # have no local default there (pods share no disk): app/options.py names every
  # required flag not given, at once.
  for name, help_text in (('compile', 'write the pipeline spec'),
                          ('run', 'check the host, compile, upload and start one run'),
                          ('schedule', 'check the host, compile, upload and create the '
                           'recurring run')):
    command = kubeflow_commands.add_parser(name, help=help_text)
    _add_config_flags(command, configs.PipelineConfig, required=('data_root', 'output_dir'))
    _add_config_flags(command, kubeflow_configs.KubeflowConfig,
                      names=kubeflow_configs.PIPELINE_FIELDS, required=('image',))
    if name != 'compile':
      _add_backend_flags(command, schedule=name == 'schedule')
    command.set_defaults(command_function=kubeflow)
  serving_parser = kubeflow_commands.add_parser(
      'serving', help="TF Serving's Kubernetes manifests for the bucket the pipeline pushes to")
  _add_config_flags(serving_parser, configs.PipelineConfig,
                    names=kubeflow_configs.SERVING_PIPELINE_FIELDS, required=('output_dir',))
  _add_config_flags(serving_parser, kubeflow_configs.KubeflowConfig,
                    names=kubeflow_configs.SERVING_FIELDS, required=('serving_gsa',))
  serving_parser.add_argument(
      '--apply', action='store_true',
      help='apply them through the current kube context (server-side apply: creates or '
      'updates each object)')
  serving_parser.set_defaults(command_function=kubeflow_serving)
  return parser


def _add_config_flags(parser: argparse.ArgumentParser, config_class,
                      names: Optional[typing.Sequence[str]] = None,
                      required: typing.Sequence[str] = ()) -> None:
  """One flag per field of config_class (of `names` only, if given). A required field's flag
  has no default: app/options.py names it when it is missing."""
  for field in dataclasses.fields(config_class):
    if 'help' not in field.metadata or (names is not None and field.name not in names):
      continue
    if field.type is bool:
      parser.add_argument(flag(field.name), action='store_true', help=field.metadata['help'])
      continue
    kind = field.type
    if typing.get_origin(kind) is typing.Union:  # Optional[X]: parse as X.
      kind = next(t for t in typing.get_args(kind) if t is not type(None))
    default = None if field.name in required else field.default
    shown = 'required' if field.name in required else f'default: {field.default}'
    parser.add_argument(flag(field.name), type=kind, default=default,
                        choices=field.metadata.get('choices'),
                        help=f'{field.metadata["help"]} ({shown})')


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


if __name__ == '__main__':
  entry()
