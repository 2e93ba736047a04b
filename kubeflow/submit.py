"""Uploads a compiled spec to Kubeflow Pipelines as a pipeline version, then runs or schedules it."""

import time
from typing import Optional, Tuple

from mnist_tfx.pipeline import configs


class BackendError(Exception):
  """The backend could not be reached or refused a request; the message is one line."""


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
      reason = getattr(e, 'reason', None) or e
      raise BackendError(f'cannot reach Kubeflow Pipelines at {self._host} to {action}: '
                         f'{_one_line(reason)}') from e


def _one_line(text) -> str:
  return ' '.join(str(text or '').split())[:500]
