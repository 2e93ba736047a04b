"""Every option of every command, checked right after the command line is parsed.

A value that cannot work is refused in one line naming the flag, the value and what is
allowed, exit status 2, before anything is imported, read or written: not after TFX has
loaded and components have run. Each configuration field declares what it allows
(pipeline/configs.py, kubeflow/configs.py); the rest spans two fields (a pod's limit and
its request) or depends on the command: paths, the Kubeflow backend's flags, a version's
name. Imports neither TFX nor TensorFlow.
"""

import argparse
import dataclasses
import os
import urllib.parse

from mnist_tfx.app import run_lock
from mnist_tfx.kubeflow import configs as kubeflow_configs
from mnist_tfx.kubeflow import cron
from mnist_tfx.lib import options
from mnist_tfx.lib.errors import OptionError
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs

# Kubernetes names (lib/options.py). Empty: the backend's own.
_NAMESPACE = options.matching(
    f'({options.DNS_1123_LABEL})?', 'must be a Kubernetes namespace: lowercase letters, '
    'digits and -, starting and ending with a letter or digit, at most 63', longest=63)
_SERVICE_ACCOUNT = options.matching(
    f'({options.DNS_1123_SUBDOMAIN})?',
    'must be a Kubernetes service account name: lowercase letters, digits, - and ., at most '
    '253', longest=253)
_EXPERIMENT = options.matching(r'.*\S.*', 'must name an experiment')
# What each flag that a Kubeflow command cannot do without is for: all the missing ones
# are named in one line, not one per try.
_REQUIRED = {
    'image': 'the image built from kubeflow/Dockerfile, that every step runs in',
    'data_root': 'gs://BUCKET/FOLDER of the spans: the pods share no disk, only the bucket',
    'output_dir': 'gs://BUCKET/FOLDER the pipeline writes to; TF Serving loads its serving/',
    'host': 'or $KF_PIPELINES_ENDPOINT: the Kubeflow Pipelines API, e.g. '
            'http://localhost:8080 through kubectl port-forward',
    'dataflow_project': 'the Google Cloud project of the Dataflow jobs, with --beam-runner '
                        'DataflowRunner',
    'serving_gsa': 'the Google service account the TF Serving pods read the bucket as',
}
# A pod's limit below its request: two fields, so checked here (with the request's unit).
_REQUESTS_AND_LIMITS = (('serving_cpu_request', 'serving_cpu_limit', 'cores'),
                        ('serving_memory_request_gib', 'serving_memory_limit_gib', 'GiB'))
# Versions are the numbered folders of the serving directory (lib/serving_dir.py).
_VERSION = options.matching(r'[0-9]+', 'must be a version number, as `history` lists them')
# `watch`: a batch is taken once its files have not changed for this long. A copy on one
# disk, or one streaming over a network, changes its files many times a second; 10 s
# without a change is a copy that has ended (or stalled: its files are checked anyway).
SETTLE_SECONDS = 10.0
_SETTLE = options.more_than(0, 's')


class MissingOptions(OptionError):
  """Flags a command cannot do without, none given: every one of them in one line."""

  def __init__(self, names):
    super().__init__(', '.join(options.flag(name) for name in names), None, 'required')
    self.names = names

  def __str__(self):
    return 'missing ' + '; '.join(f'{options.flag(name)} ({_REQUIRED[name]})'
                                  for name in self.names)


def check(args: argparse.Namespace) -> None:
  """Raises OptionError for the first option of the parsed command line that cannot work
  (MissingOptions first, naming every required flag not given)."""
  if getattr(args, 'kubeflow_command', None) is not None:
    _check_given(args)
  for config_class in (configs.PipelineConfig, kubeflow_configs.KubeflowConfig):
    for field in dataclasses.fields(config_class):
      allowed = field.metadata.get('allowed')
      if allowed is not None and hasattr(args, field.name):
        allowed.check(options.flag(field.name), getattr(args, field.name))
  for request, limit, unit in _REQUESTS_AND_LIMITS:
    if hasattr(args, limit) and getattr(args, limit) < getattr(args, request):
      raise OptionError(options.flag(limit), getattr(args, limit),
                        f'must be at least {options.flag(request)} '
                        f'({getattr(args, request)} {unit})')
  for name in ('output_dir', 'data_root'):
    if hasattr(args, name):
      _check_can_be_a_folder(options.flag(name), getattr(args, name))
  if getattr(args, 'version', None) is not None:
    _VERSION.check('VERSION', args.version)
  if getattr(args, 'lineage', None) is not None:
    _VERSION.check('--lineage', args.lineage)
  if getattr(args, 'kubeflow_command', None) in ('compile', 'run', 'schedule'):
    _check_kubeflow(args)
  if getattr(args, 'kubeflow_command', None) == 'serving':
    _check_serving(args)
  if getattr(args, 'command', None) == 'watch':
    _check_watch(args)


def _check_can_be_a_folder(option: str, path: str) -> None:
  """A local folder that exists, or can be made: neither it nor a parent is a file."""
  if '://' in path:
    return  # An object store: no files in the way, and looking would import TensorFlow.
  existing = path
  while existing and not os.path.exists(existing):
    parent = os.path.dirname(existing.rstrip('/'))
    existing = parent if parent != existing else ''
  if existing and not os.path.isdir(existing):
    where = 'is a file' if existing == path else f'{existing} is a file'
    raise OptionError(option, path, f'{where}; must be a folder, or where one can be made')


def _check_given(args: argparse.Namespace) -> None:
  """The Kubeflow commands' required flags: every one not given, at once."""
  if args.kubeflow_command == 'serving':
    needed = ['output_dir', 'serving_gsa']
  else:
    needed = ['image', 'data_root', 'output_dir']
    if args.beam_runner == 'DataflowRunner':
      needed.append('dataflow_project')
    if args.kubeflow_command != 'compile':
      needed.append('host')
  missing = [name for name in needed if not getattr(args, name)]
  if missing:
    raise MissingOptions(missing)


def _check_written_file(option: str, path: str) -> None:
  """A file that compile or serving writes: not a folder, and its folder can be made."""
  if os.path.isdir(path):
    raise OptionError(option, path, 'is a folder; must name the file to write')
  existing = os.path.dirname(os.path.abspath(path))
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    raise OptionError(option, path, f'{existing} is a file, so the folder to write into '
                      'cannot be made')


def _check_watch(args: argparse.Namespace) -> None:
  """watch: an inbox that is a local folder now, apart from the data root and the outputs
  (a folder inside it would be taken as a batch, and batches are moved within it)."""
  _SETTLE.check('--settle-seconds', args.settle_seconds)
  inbox = args.inbox
  if '://' in inbox or not os.path.isdir(inbox):
    raise OptionError('INBOX', inbox, 'does not exist or is not a folder; must be a local '
                      'folder that the batches arrive in')
  for name in ('data_root', 'output_dir', 'eval_root'):
    path = getattr(args, name)
    if path and '://' not in path:
      inside = os.path.realpath(path), os.path.realpath(inbox)
      if os.path.commonpath(inside) in inside:
        raise OptionError(options.flag(name), path, f'must be apart from INBOX {inbox!r}, '
                          'neither inside it nor holding it')


def check_store(output_dir: str) -> None:
  """For the commands that read what runs wrote (history, status, rollback): raises
  UsageError unless output_dir holds a pipeline store, before anything is made or imported.

  A store is what a run writes, ML Metadata (metadata.sqlite) or the serving directory
  (serving/); a folder with the run lock alone is one a run has started in (a rollback then
  finds it busy, or empty). A mistyped folder is refused rather than read as no runs yet, and
  no folder or lock is made in it. An object store (gs://) is left to the command: looking
  would import TensorFlow.
  """
  if '://' in output_dir:
    return
  if not os.path.isdir(output_dir):
    raise UsageError(f'{output_dir}: no such folder, so no run wrote there (--output-dir: '
                     'the output folder of a run)')
  config = configs.PipelineConfig(output_dir=output_dir)
  written = (config.metadata_path, config.serving_dir,
             os.path.join(output_dir, run_lock.LOCK_FILE))
  if not any(os.path.exists(path) for path in written):
    raise UsageError(f'{output_dir}: holds no pipeline store (no '
                     f'{os.path.basename(config.metadata_path)} or '
                     f'{os.path.basename(config.serving_dir)}/), so no run wrote there '
                     '(--output-dir: the output folder of a run)')


def _check_kubeflow(args: argparse.Namespace) -> None:
  """compile, run and schedule: what the pods and the backend need."""
  for name in ('data_root', 'output_dir', 'eval_root'):
    value = getattr(args, name)
    problem = kubeflow_configs.gcs_path_problem(value) if value else None
    if problem:
      raise OptionError(options.flag(name), value, problem)
  _check_written_file('--package', args.package)
  if args.kubeflow_command == 'compile':
    return
  _check_host(args.host)
  _NAMESPACE.check('--namespace', args.namespace)
  _SERVICE_ACCOUNT.check('--service-account', args.service_account)
  _EXPERIMENT.check('--experiment', args.experiment)
  if args.kubeflow_command == 'schedule':
    cron.check(args.cron)


def _check_serving(args: argparse.Namespace) -> None:
  """serving: the bucket the pods read the models from (who reads it is checked as its
  field), and the file the manifests go to."""
  problem = kubeflow_configs.gcs_path_problem(args.output_dir)
  if problem is None and any(c in args.output_dir for c in '"\\\n'):
    problem = ('has a ", \\ or line break, which the model config (TF Serving\'s text '
               'format, written unescaped) cannot hold')
  if problem:
    raise OptionError('--output-dir', args.output_dir, problem)
  _check_written_file('--serving-package', args.serving_package)


def _check_host(host) -> None:
  """kfp.Client's host: http(s)://HOST[:PORT][/PATH], or HOST alone (kfp adds https://)."""
  try:
    url = urllib.parse.urlsplit(host if '://' in host else 'https://' + host)
    url.port  # pylint: disable=pointless-statement (parses the port: raises if it is not one)
  except ValueError:
    url = None
  if url is None or url.scheme not in ('http', 'https') or not url.hostname or ' ' in host:
    raise OptionError('--host', host, 'must be an http:// or https:// URL of the Kubeflow '
                      'Pipelines API, e.g. http://localhost:8080')
