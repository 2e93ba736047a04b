"""AtomicPusher: TFX's Pusher, writing each version whole (lib/serving_dir.py) or not at all."""

from tfx.components import Pusher
from tfx.dsl.components.base import executor_spec

from mnist_tfx.components.atomic_pusher import executor


class AtomicPusher(Pusher):
  """Pusher that never shows TF Serving a half-written version; the stock Pusher's spec."""
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)
