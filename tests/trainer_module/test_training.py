"""The recipes' learning rates: the TensorFlow schedule is the plain-Python one."""

import numpy as np
import pytest

from mnist_tfx.trainer_module import training


ALL_RECIPES = [*training.RECIPES.values(), training.WARM]


@pytest.mark.parametrize('recipe', ALL_RECIPES, ids=[recipe.name for recipe in ALL_RECIPES])
def test_the_schedule_in_tensorflow_is_the_recipe(recipe):
  from mnist_tfx.trainer_module import model as model_lib  # pylint: disable=g-import-not-at-top
  steps_per_epoch, epochs = 30, 3
  schedule = model_lib.RecipeSchedule(recipe, steps_per_epoch, epochs)
  steps = range(steps_per_epoch * epochs)
  np.testing.assert_allclose([float(schedule(step)) for step in steps],
                             [recipe.learning_rate(step, steps_per_epoch, epochs)
                              for step in steps], rtol=1e-6)


def test_the_fast_recipe_rises_over_a_third_of_an_epoch_then_falls_to_zero():
  fast, steps_per_epoch, epochs = training.FAST, 30, 4
  rates = [fast.learning_rate(step, steps_per_epoch, epochs)
           for step in range(steps_per_epoch * epochs)]
  peak = rates.index(max(rates))
  assert peak == 9 and max(rates) == fast.peak_learning_rate  # Step 10 of 30: a third.
  assert all(a < b for a, b in zip(rates[:peak], rates[1:peak + 1]))
  assert all(a > b for a, b in zip(rates[peak:], rates[peak + 1:]))
  assert 0 < rates[-1] < fast.peak_learning_rate / 100


def test_the_course_recipe_is_the_courses():
  course = training.COURSE
  assert (course.batch_size, course.epochs) == (64, 10)
  assert [course.learning_rate(epoch * 100, 100, 10) for epoch in range(3)] == pytest.approx(
      [0.01, 0.00666, 0.01 * 0.666**2])
  assert training.steps_per_epoch(60_000, 64) == 938  # The last batch is short.


def test_the_warm_recipe_is_shorter_and_gentler_than_the_default():
  """It retrains a model that already works: fewer epochs at a lower peak, same batch."""
  warm, default = training.WARM, training.RECIPES[training.DEFAULT]
  assert warm.name not in training.RECIPES  # Chosen by the Trainer, not by --recipe.
  assert warm.epochs < default.epochs and warm.peak_learning_rate < default.peak_learning_rate
  assert warm.batch_size == default.batch_size


def test_a_small_span_trains_more_epochs_so_that_it_sees_as_many_digits():
  """The README's first span has 20,000 digits: five epochs of it would be a third of the
  steps the default was chosen with on all 60,000."""
  fast = training.RECIPES[training.DEFAULT]
  assert [fast.epochs_for(n) for n in (60_000, 120_000, 20_000, 30_001)] == [5, 5, 15, 10]
  assert training.AUGMENTED.epochs_for(20_000) == 90
  # The course's recipe stays the course's; a warm start keeps its own short schedule.
  assert training.COURSE.epochs_for(20_000) == 10
  assert training.WARM.epochs_for(20_000) == 1
