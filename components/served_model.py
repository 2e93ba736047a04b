"""ServedModel: the model TF Serving serves now, as the baseline the candidate must beat.

Stands in for a Resolver (LatestBlessedModelStrategy), which open-source Kubeflow
Pipelines does not run: the serving directory, not ML Metadata, says what is served.
"""

import os

from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.annotations import OutputArtifact
from tfx.dsl.component.experimental.annotations import Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Model
from tfx.utils import io_utils
from tfx.utils import path_utils

from components import serving_dir as serving_dir_lib


@component
def ServedModel(  # pylint: disable=invalid-name
    candidate: InputArtifact[Model],
    baseline: OutputArtifact[Model],
    serving_dir: Parameter[str],
):
  """Copies the newest version under serving_dir into `baseline` (Format-Serving).

  With nothing served yet, `baseline` stays empty and its custom property
  `served_version` is '': GatedEvaluator then applies the absolute gate alone.

  Args:
    candidate: the model about to be evaluated; taken as an input so that this
      step runs after training, and again whenever a new candidate is trained.
    baseline: the output, a copy of the served model.
    serving_dir: the TF Serving model base path the Pusher writes to.
  """
  del candidate  # Orders this step and keys its cache; its content is not needed.
  version = serving_dir_lib.latest_version(serving_dir)
  baseline.set_string_custom_property('served_version', version or '')
  if version is not None:
    io_utils.copy_dir(os.path.join(serving_dir, version),
                      path_utils.serving_model_path(baseline.uri))
