"""StartingModel: the model served when the training data arrived, read before anything trains.

LabelCheck reads the new labels with it, and the Trainer starts from its weights (warm
start). It is keyed on the examples alone, not on what is served: the data is paired
once, when it arrives, with the model served then. Keyed on the served version (its
manifest, say), a run's own push would change the key, and the next run with nothing
changed would retrain from the model it had just pushed, trained on these very digits,
instead of being all-cached. A rollback or a push between two runs on the same data
changes nothing here either: with the data unchanged, nothing retrains.

Read from the serving directory, not from ML Metadata, as ServedModel does: open-source
Kubeflow Pipelines runs no Resolver.
"""

from absl import logging
from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.annotations import OutputArtifact
from tfx.dsl.component.experimental.annotations import Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples
from tfx.types.standard_artifacts import Model

from mnist_tfx.lib import serving_dir as serving_dir_lib


@component
def StartingModel(  # pylint: disable=invalid-name
    examples: InputArtifact[Examples],
    served: OutputArtifact[Model],
    serving_dir: Parameter[str],
):
  """Copies the newest version under serving_dir into `served` (Format-Serving).

  With nothing served, or a damaged served version, `served` stays empty: the labels are
  not checked and the Trainer starts from random weights. Custom properties:
  `served_version` ('' if none) and `served_problem` (why the version was not used, ''
  if it was).

  Args:
    examples: the data about to be trained on; taken as an input so that the cache keys
      this step on it (see the module's docstring). Its content is not read.
    served: the output, a copy of the served model.
    serving_dir: the TF Serving model base path the Pusher writes to.
  """
  del examples  # Keys the cache; not read.
  version, problem = serving_dir_lib.copy_latest(serving_dir, served)
  if problem is not None:
    logging.warning('Served version %s is damaged (%s): not used before training.',
                    version, problem)
