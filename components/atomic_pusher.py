"""AtomicPusher: TFX's Pusher, writing each version under a hidden name and renaming it.

The stock Pusher copies straight into <serving dir>/<unix time>/, so TF Serving
can find a half-copied version, and two pushes in one second collide. A push
killed after its version appeared is not repeated: the next run finds the same
files already served and records that version.
"""

from tfx.components import Pusher
from tfx.components.pusher import executor as pusher_executor
from tfx.dsl.components.base import executor_spec
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils
from tfx.types import standard_component_specs
from tfx.utils import proto_utils

from components import serving_dir


class AtomicPusherExecutor(pusher_executor.Executor):

  def Do(self, input_dict, output_dict, exec_properties):  # pylint: disable=invalid-name
    model_push = artifact_utils.get_single_instance(
        output_dict[standard_component_specs.PUSHED_MODEL_KEY])
    if not self.CheckBlessing(input_dict):
      self._MarkNotPushed(model_push)
      return
    destination = pusher_pb2.PushDestination()
    proto_utils.json_to_proto(
        exec_properties[standard_component_specs.PUSH_DESTINATION_KEY], destination)
    base_directory = destination.filesystem.base_directory
    model_path = self.GetModelPath(input_dict)
    latest = serving_dir.latest_version(base_directory)
    if latest is not None and serving_dir.holds(base_directory, latest, model_path):
      # Published by this push before the process died, so ML Metadata never heard of it.
      version = latest
    else:
      version = serving_dir.publish(model_path, base_directory)
    self._MarkPushed(model_push,
                     pushed_destination=f'{base_directory}/{version}',
                     pushed_version=version)


class AtomicPusher(Pusher):
  """Pusher that never shows TF Serving a half-written version."""
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(AtomicPusherExecutor)
