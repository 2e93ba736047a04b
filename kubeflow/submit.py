"""Uploads a compiled spec to Kubeflow Pipelines as a pipeline version, then runs or schedules it.

Also the host checked before the half minute of compiling, which every `kubeflow` command
that talks to the backend needs first.
"""

import os
import time
from typing import Optional, Tuple
import urllib.error
import urllib.request

from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs

# The KFP v2 API's health check (kfp_server_api's HealthzServiceApi): any answer at all,
# even a login page's, says the host is there.
HEALTHZ_PATH = '/apis/v2beta1/healthz'
# Long enough for a port-forward or a cluster's load balancer; a host that does not
# answer in this time would not answer kfp.Client either.
REACH_TIMEOUT_SECONDS = 10


class BackendError(Exception):
  """The backend could not be reached or refused a request; the message is one line."""


def check_reachable(host: str) -> None:
  """Raises BackendError unless something answers HTTP at host (as kfp.Client reads it).

  Standard library only, so it runs before kfp, TFX or the compile are imported: an
  unreachable host is one line within seconds, not after half a minute of compiling.
  """
  url = (host if '://' in host else 'https://' + host).rstrip('/') + HEALTHZ_PATH
  # No proxy from the environment: kfp.Client (urllib3) uses none either.
  opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
  try:
    opener.open(url, timeout=REACH_TIMEOUT_SECONDS).close()
  except urllib.error.HTTPError:
    return  # It answered: whether it lets us in is kfp's to say.
  except (urllib.error.URLError, OSError) as e:
    raise BackendError(f'cannot reach Kubeflow Pipelines at {host}: {connection_failure(e)} '
                       f'(GET {HEALTHZ_PATH})') from e


class Submitter:
  """One Kubeflow Pipelines endpoint, one experiment; every call's error becomes a BackendError."""

  def __init__(self, host: str, namespace: str, experiment: str,
               service_account: Optional[str] = None):
    import kfp  # pylint: disable=g-import-not-at-top
    self._host = host
    self._namespace = namespace
    self._experiment = experiment
    self._service_account = service_account or None
    # An empty namespace is single-user KFP ('kubeflow' is kfp.Client's default).
    self._client = self._call(
        'connect', lambda: kfp.Client(host=host, namespace=namespace or 'kubeflow'))

  def upload(self, package: str, description: str) -> Tuple[str, str]:
    """Adds the package as a new version of the mnist-tfx pipeline; returns (pipeline, version) ids."""
    version_name = f'{configs.PIPELINE_NAME}-{time.strftime("%Y%m%d-%H%M%S")}'
    pipeline_id = self._call('look up the pipeline',
                             lambda: self._client.get_pipeline_id(configs.PIPELINE_NAME))
    if pipeline_id is None:
      pipeline_id = self._call('upload the pipeline', lambda: self._client.upload_pipeline(
          package, pipeline_name=configs.PIPELINE_NAME, description=description)).pipeline_id
      versions = self._call('list the pipeline versions',
                            lambda: self._client.list_pipeline_versions(pipeline_id))
      return pipeline_id, versions.pipeline_versions[0].pipeline_version_id
    version = self._call('upload the pipeline version', lambda: self._client.upload_pipeline_version(
        package, version_name, pipeline_id=pipeline_id, description=description))
    return pipeline_id, version.pipeline_version_id

  def run_page(self, run_id: str) -> str:
    """The run's page in the Kubeflow Pipelines UI, as kfp.Client links it from the host."""
    host = self._host if '://' in self._host else 'https://' + self._host
    return f'{host.rstrip("/")}/#/runs/details/{run_id}'

  def run(self, pipeline_id: str, version_id: str, pipeline_root: str) -> str:
    """Starts one run of the version; returns the run id."""
    experiment_id = self._experiment_id()
    return self._call('create the run', lambda: self._client.run_pipeline(
        experiment_id, f'{configs.PIPELINE_NAME} {time.strftime("%Y-%m-%d %H:%M:%S")}',
        pipeline_id=pipeline_id, version_id=version_id,
        # Without it the backend falls back to its MinIO root, which TFX cannot read.
        pipeline_root=pipeline_root,
        service_account=self._service_account)).run_id

  def schedule(self, pipeline_id: str, version_id: str, pipeline_root: str, cron: str) -> str:
    """Creates the recurring run that drives retraining; returns its id."""
    experiment_id = self._experiment_id()
    return self._call('create the recurring run', lambda: self._client.create_recurring_run(
        experiment_id, f'{configs.PIPELINE_NAME} retraining',
        description='Retrains on the newest data; pushes only a blessed, better model.',
        cron_expression=cron,
        max_concurrency=1,  # Never two writers of the serving directory.
        no_catchup=True,  # After a pause, one run, not one per missed slot.
        pipeline_id=pipeline_id, version_id=version_id, pipeline_root=pipeline_root,
        enable_caching=False,  # Compiled off as well (see kubeflow/compiler.py).
        service_account=self._service_account)).recurring_run_id

  def _experiment_id(self) -> str:
    return self._call('create the experiment', lambda: self._client.create_experiment(
        self._experiment, namespace=self._namespace or None)).experiment_id

  def _call(self, action: str, request):
    import kfp_server_api  # pylint: disable=g-import-not-at-top
    import urllib3  # pylint: disable=g-import-not-at-top
    try:
      return request()
    except kfp_server_api.ApiException as e:
      raise BackendError(f'Kubeflow Pipelines at {self._host} refused to {action}: '
                         f'{e.status} {e.reason}: {_one_line(e.body)}') from e
    except (urllib3.exceptions.HTTPError, OSError) as e:
      raise BackendError(f'cannot reach Kubeflow Pipelines at {self._host} to {action}: '
                         f'{connection_failure(e)}') from e


def connection_failure(error: BaseException) -> str:
  """What failed to connect, in words: the innermost socket error's (`Connection refused`,
  `Name or service not known`, `timed out`), not urllib3's wrappers that name objects."""
  cause = error
  for _ in range(10):  # Wrappers within wrappers, a few deep.
    reason = getattr(cause, 'reason', None)
    inner = reason if isinstance(reason, BaseException) else cause.__cause__ or cause.__context__
    if inner is None:
      break
    cause = inner
  if isinstance(cause, OSError) and cause.strerror:
    return cause.strerror
  return _one_line(cause)


def _one_line(text) -> str:
  return ' '.join(str(text or '').split())[:500]
