"""The training recipe: batch size and learning-rate schedule, shared by run_fn and benchmarks."""

# The course's recipe: batch 64, Adam from 0.01, the rate times 0.666 each epoch.
# A fast decay suits batch norm: large steps early, fine-tuning after a few epochs.
BATCH_SIZE = 64
INITIAL_LEARNING_RATE = 0.01
DECAY_PER_EPOCH = 0.666


def learning_rate(epoch: int) -> float:
  """The rate for a 0-based epoch."""
  return INITIAL_LEARNING_RATE * DECAY_PER_EPOCH**epoch
