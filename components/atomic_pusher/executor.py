"""AtomicPusher's executor: stages, checks (canary.py), publishes through lib/serving_dir.py,
then marks the pushed model.

A staged version that fails the canary is removed and not published; the pushed model
is marked not pushed, with the canary's verdict (Property.CANARY) saying why, and the
served version is untouched. The run goes on, so that its report says what happened.

The stock Pusher copies straight into <serving dir>/<unix time>/, so TF Serving
can find a half-copied version, and two pushes in one second collide. A push
killed after its version appeared is not repeated: the next run finds the same
files already served and records that version.

TFX has no public call that marks a PushedModel (its executor's _MarkPushed is
protected), so `mark` sets the custom properties the stock Pusher sets, through
the public Artifact API. The blessing check and the model's path are the stock
Pusher's too (its executor's CheckBlessing and GetModelPath), written here rather
than inherited: importing its executor, or TFX's standard_component_specs, imports
every TFX component and TFMA, most of a Kubeflow step's start-up (kubeflow/README.md,
"Step start-up"). tests/components/test_atomic_pusher.py pins the marks, the check,
the path and the keys to the stock Pusher's of the installed TFX.
"""

import json
from typing import Optional

from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.proto import pusher_pb2
from tfx.types import artifact
from tfx.types import artifact_utils
from tfx.utils import path_utils
from tfx.utils import proto_utils

from mnist_tfx.components.atomic_pusher import canary
from mnist_tfx.lib import serving_dir
from mnist_tfx.lib.contracts import Property

# custom_config key: the canary's bound on a batch-1 call, in milliseconds. Required: the
# pipeline always passes it, and its default is the configuration's (canary_max_latency_ms).
MAX_LATENCY_MS = 'max_latency_ms'

# The Pusher's keys, as tfx/types/standard_component_specs.py names them.
MODEL_KEY = 'model'
MODEL_BLESSING_KEY = 'model_blessing'
INFRA_BLESSING_KEY = 'infra_blessing'
PUSHED_MODEL_KEY = 'pushed_model'
PUSH_DESTINATION_KEY = 'push_destination'
CUSTOM_CONFIG_KEY = 'custom_config'


class Executor(base_executor.BaseExecutor):
  """The stock Pusher's blessing check and model path; our publish and our marks."""

  def Do(self, input_dict, output_dict, exec_properties):  # pylint: disable=invalid-name
    model_push = artifact_utils.get_single_instance(output_dict[PUSHED_MODEL_KEY])
    if not blessed(input_dict):
      mark(model_push, version=None)
      return
    destination = pusher_pb2.PushDestination()
    proto_utils.json_to_proto(exec_properties[PUSH_DESTINATION_KEY], destination)
    base_directory = destination.filesystem.base_directory
    model_path = model_to_push(input_dict)
    latest = serving_dir.latest_version(base_directory)
    if latest is not None and serving_dir.holds(base_directory, latest, model_path):
      # Published by this push before the process died, so ML Metadata never heard of it.
      version = latest
    else:
      bound = float(json.loads(exec_properties[CUSTOM_CONFIG_KEY])[MAX_LATENCY_MS])
      verdicts = []

      def check(staged: str) -> Optional[str]:
        verdicts.append(canary.check(staged, bound))
        return None if verdicts[-1].passed else verdicts[-1].failure or 'failed'

      try:
        version = serving_dir.publish(model_path, base_directory, check=check)
      except serving_dir.NotPublished:
        mark(model_push, version=None)
        model_push.set_string_custom_property(Property.CANARY, verdicts[-1].to_json())
        return
      model_push.set_string_custom_property(Property.CANARY, verdicts[-1].to_json())
    mark(model_push, version=version, destination=f'{base_directory}/{version}')


def blessed(input_dict) -> bool:
  """False if a model blessing or an infra blessing is given and does not bless."""
  for key in (MODEL_BLESSING_KEY, INFRA_BLESSING_KEY):
    if input_dict.get(key):
      blessing = artifact_utils.get_single_instance(input_dict[key])
      if blessing.get_int_custom_property(Property.BLESSED) != 1:
        logging.info('Model on %s was not blessed (%s)', blessing.uri, key)
        return False
  return True


def model_to_push(input_dict) -> str:
  """The SavedModel's folder inside the model artifact (AtomicPusher always has a model)."""
  model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
  return path_utils.serving_model_path(model.uri, path_utils.is_old_model_artifact(model))


def mark(model_push: artifact.Artifact, version: Optional[str], destination: str = '') -> None:
  """Pushed (a version and where it went) or not pushed (version None), as TFX's Pusher
  records it."""
  if version is None:
    model_push.set_int_custom_property(Property.PUSHED, 0)
    return
  model_push.set_int_custom_property(Property.PUSHED, 1)
  model_push.set_string_custom_property(Property.PUSHED_DESTINATION, destination)
  model_push.set_string_custom_property(Property.PUSHED_VERSION, version)
