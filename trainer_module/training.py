"""The training recipes: batch size, epochs and learning-rate schedule, shared by run_fn and
the benchmark. Plain Python (no TensorFlow), so that the command line can check a name.

- course: the course's recipe. Batch 64, Adam from 0.01, the rate times 0.666 each
  epoch, 10 epochs (about 99.4% test accuracy).
- fast (the default): batch 128, Adam with the rate per step, rising linearly from 0 to
  0.01 over the first third of an epoch, then falling linearly to 0 at the last step;
  5 epochs. Chosen on a validation split cut from the training digits (bench/recipes.py,
  figures in BENCHMARKS.md), not on the test digits: 4 epochs fell short of the course's
  recipe there, 5 did not. Those are 5 epochs of the 60,000 training digits: a smaller
  span trains as many more epochs as it takes to see 300,000 digits (`min_examples`), as
  many as 5 epochs of all 60,000 do (the recipe was chosen on 50,000 digits, where 5 epochs
  see 250,000: a 50,000-digit span trains 6). The README's 20,000-digit first span
  trains 15 epochs: on three seeds it scored a little higher than with 5 (each by less than
  a standard error), its worst digit no better (README, "Continuous retraining").
- augmented: the fast recipe's schedule over 30 epochs, each training digit moved, turned
  and scaled at random as it is read (trainer_module/augment.py): shifts up to 0.12 of the
  side, turns up to 15 degrees, zoom 1 +- 0.12, which beat 0.08, 10 and 0.08 on the
  validation split (0.9947 against 0.9943 at 15 epochs, seed 1); 30 epochs beat 15 there on
  both seeds tried (0.9951 and 0.9960 against 0.9947 and 0.9954; BENCHMARKS.md). Label
  smoothing of 0.1 then beat none on both (0.9955 and 0.9966). Once trained, the batch
  norms' statistics are measured again on the training digits unmoved
  (trainer_module/batch_norms.py): on the validation split, the same three models read 1,
  2 and 5 more digits right (0.9965 to 0.9966, 0.9960 to 0.9962, 0.9951 to 0.9956 for
  seeds 1 to 3). On the test digits, through the Evaluator: 0.9962, 0.9955, 0.9969 for
  seeds 1 to 3, one digit fewer in all than the same weights gave without measuring them
  again (0.9965, 0.9954, 0.9968): the gain did not carry over, and the pass is noise either
  way. Before the moves were seeded: 0.9963, 0.9961, 0.9964; before the smoothing: 0.9959,
  0.9956, 0.9962.
"""

import dataclasses
import math
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Augmentation:
  """Each training digit, each time it is read, moved, turned and scaled at random: by up to
  `shift` of the image's side each way, `rotation_degrees` either way, and 1 +- `zoom`."""
  shift: float
  rotation_degrees: float
  zoom: float


@dataclasses.dataclass(frozen=True)
class Recipe:
  name: str
  batch_size: int
  epochs: int
  peak_learning_rate: float
  decay_per_epoch: float = 0.0  # course: the rate times this each epoch.
  warmup_epochs: float = 0.0  # fast: the linear rise, in epochs; then a linear fall to 0.
  augmentation: Optional[Augmentation] = None  # augmented: trainer_module/augment.py.
  # augmented: the cross-entropy's target, 1 - this on the true digit and this spread over
  # all ten (trainer_module/model.py).
  label_smoothing: float = 0.0
  # At least this many digits seen, in as many more epochs as a small span needs.
  min_examples: int = 0

  def epochs_for(self, examples: int) -> int:
    """The recipe's epochs over `examples` training digits: its own count, or more when
    that would see fewer than `min_examples` digits."""
    if not self.min_examples:
      return self.epochs
    return max(self.epochs, math.ceil(self.min_examples / max(1, examples)))

  def learning_rate(self, step: int, steps_per_epoch: int, epochs: int) -> float:
    """The rate at a 0-based global step of a run of `epochs` epochs."""
    if self.decay_per_epoch:
      return self.peak_learning_rate * self.decay_per_epoch**(step // steps_per_epoch)
    warmup = max(1, round(self.warmup_epochs * steps_per_epoch))
    total = steps_per_epoch * epochs
    if step < warmup:
      return self.peak_learning_rate * (step + 1) / warmup
    # Falls by the same amount each step, to 0 one step after the last.
    return self.peak_learning_rate * max(0.0, (total - step) / (total - warmup + 1))


COURSE = Recipe('course', batch_size=64, epochs=10, peak_learning_rate=0.01,
                decay_per_epoch=0.666)
# The full training set has 60,000 digits: fast and augmented see at least their epochs'
# worth of it. The course's recipe stays the course's, and warm starts stay short.
FULL_TRAINING_SET = 60_000
FAST = Recipe('fast', batch_size=128, epochs=5, peak_learning_rate=0.01,
              warmup_epochs=1 / 3, min_examples=5 * FULL_TRAINING_SET)
AUGMENTED = Recipe('augmented', batch_size=128, epochs=30, peak_learning_rate=0.01,
                   warmup_epochs=1 / 3,
                   augmentation=Augmentation(shift=0.12, rotation_degrees=15, zoom=0.12),
                   label_smoothing=0.1, min_examples=30 * FULL_TRAINING_SET)
RECIPES = {recipe.name: recipe for recipe in (COURSE, FAST, AUGMENTED)}
DEFAULT = FAST.name
# A retrain that starts from the served model's weights (trainer_module/warm_start.py):
# fewer epochs at a lower peak, so that it adapts to the new span without undoing what
# the served model learned. Chosen on a validation split (bench/warm_start.py).
WARM = Recipe('warm', batch_size=128, epochs=1, peak_learning_rate=0.001,
              warmup_epochs=1 / 10)


def steps_per_epoch(examples: int, batch_size: int) -> int:
  """Batches per epoch: the last one may be short."""
  return max(1, math.ceil(examples / batch_size))
