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

from mnist_tfx.kubeflow import configs as kubeflow_configs
from mnist_tfx.kubeflow import cron
from mnist_tfx.lib import options
from mnist_tfx.lib.errors import OptionError
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
# Where `kubeflow serving`'s pods read the models: a Cloud Storage bucket, named by its rules.
_BUCKET_PATH = options.matching(
    r'gs://[a-z0-9][-a-z0-9_.]{1,220}[a-z0-9](/[^\s"\\]*)?',
    'must be gs://BUCKET[/FOLDER], where the pipeline pushes its models; BUCKET is 3 to 222 '
    'lowercase letters, digits, -, _ and ., starting and ending with a letter or digit')
# A pod's limit below its request: two fields, so checked here (with the request's unit).
_REQUESTS_AND_LIMITS = (('serving_cpu_request', 'serving_cpu_limit', 'cores'),
                        ('serving_memory_request_gib', 'serving_memory_limit_gib', 'GiB'))
# Versions are the numbered folders of the serving directory (lib/serving_dir.py).
_VERSION = options.matching(r'[0-9]+', 'must be a version number, as `history` lists them')


def check(args: argparse.Namespace) -> None:
  """Raises OptionError for the first option of the parsed command line that cannot work."""
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


def _check_kubeflow(args: argparse.Namespace) -> None:
  """compile, run and schedule: what the pods and the backend need."""
  for name in ('data_root', 'output_dir', 'eval_root'):
    value = getattr(args, name)
    if '://' not in value and (value or name != 'eval_root'):
      raise OptionError(options.flag(name), value,
                        'must be a gs:// path on Kubeflow (pods share no disk)')
  if not args.image:
    raise OptionError('--image', args.image,
                      'is required: the image built from kubeflow/Dockerfile')
  if args.beam_runner == 'DataflowRunner' and not args.dataflow_project:
    raise OptionError('--dataflow-project', args.dataflow_project,
                      'is required with --beam-runner DataflowRunner')
  if args.kubeflow_command == 'compile':
    return
  _check_host(args.host)
  _NAMESPACE.check('--namespace', args.namespace)
  _SERVICE_ACCOUNT.check('--service-account', args.service_account)
  _EXPERIMENT.check('--experiment', args.experiment)
  if args.kubeflow_command == 'schedule':
    cron.check(args.cron)


def _check_serving(args: argparse.Namespace) -> None:
  """serving: the bucket the pods read the models from, and who they read it as."""
  _BUCKET_PATH.check('--output-dir', args.output_dir)
  if not args.serving_gsa:  # Its field allows none, for the commands that do not serve.
    raise OptionError('--serving-gsa', args.serving_gsa,
                      kubeflow_configs.SERVICE_ACCOUNT_EMAIL.text)


def _check_host(host) -> None:
  """kfp.Client's host: http(s)://HOST[:PORT][/PATH], or HOST alone (kfp adds https://)."""
  if not host:
    raise OptionError('--host', host or '', 'is required (or $KF_PIPELINES_ENDPOINT): the '
                      'Kubeflow Pipelines API endpoint, e.g. http://localhost:8080')
  try:
    url = urllib.parse.urlsplit(host if '://' in host else 'https://' + host)
    url.port  # pylint: disable=pointless-statement (parses the port: raises if it is not one)
  except ValueError:
    url = None
  if url is None or url.scheme not in ('http', 'https') or not url.hostname or ' ' in host:
    raise OptionError('--host', host, 'must be an http:// or https:// URL of the Kubeflow '
                      'Pipelines API, e.g. http://localhost:8080')
