"""ServedModel: the model TF Serving serves now, as the baseline the candidate must beat.

Stands in for a Resolver (LatestBlessedModelStrategy), which open-source Kubeflow
Pipelines does not run: the serving directory, not ML Metadata, says what is served.
A served version whose files no longer match its manifest is not trusted as the
baseline: the gate falls back to its absolute thresholds, so that a good new model
replaces it, or, with refuse_corrupt, the run stops.
"""

from absl import logging
from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.annotations import OutputArtifact
from tfx.dsl.component.experimental.annotations import Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Model

from mnist_tfx.lib import serving_dir as serving_dir_lib


class CorruptServedModel(Exception):
  """The served version is damaged and the run was told to refuse rather than go on."""


@component
def ServedModel(  # pylint: disable=invalid-name
    candidate: InputArtifact[Model],
    baseline: OutputArtifact[Model],
    serving_dir: Parameter[str],
    refuse_corrupt: Parameter[int] = 0,
    cache_key: Parameter[str] = '',
):
  """Copies the newest version under serving_dir into `baseline` (Format-Serving).

  With nothing served yet, or a damaged served version, `baseline` stays empty
  and GatedEvaluator applies the absolute gate alone. Custom properties:
  `served_version` ('' if none) and `served_problem` (why the version was not
  trusted, '' if it was).

  Args:
    candidate: the model about to be evaluated; taken as an input so that this
      step runs after training, and again whenever a new candidate is trained.
    baseline: the output, a copy of the served model.
    serving_dir: the TF Serving model base path the Pusher writes to.
    refuse_corrupt: 1 to fail the run on a damaged served version instead.
    cache_key: read by TFX's cache only: what the runner found wrong with the served
      version before the run, so that damage is a cache miss (pipeline/cache_keys.py).
  """
  del candidate  # Orders this step and keys its cache; its content is not needed.
  del cache_key  # TFX's cache reads it; the served version is checked below, where it runs.
  version, problem = serving_dir_lib.copy_latest(serving_dir, baseline)
  if problem is not None:
    if refuse_corrupt:
      raise CorruptServedModel(
          f'served version {version} is damaged: {problem}; refusing to judge a new '
          'model against it (without --refuse-corrupt-served-model the absolute gate '
          'alone decides)')
    logging.warning('Served version %s is damaged (%s): absolute gate alone.', version, problem)
