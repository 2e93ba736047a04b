"""The summary's start line, from the run record's StartingModel and Trainer fields."""

from mnist_tfx.app import summary
from mnist_tfx.lib.payloads import TrainingStart
from mnist_tfx.lib.run_record import RunRecord


def test_a_warm_start_names_the_version_it_started_from():
  record = RunRecord(starting_version='1796039069', training_start=TrainingStart(
      warm=True, why_cold='', recipe='warm', epochs=1))
  assert summary.start(record) == ('warm, from the weights of version 1796039069 (served when '
                                   'the data arrived): 1 epoch of the warm recipe')


def test_a_cold_start_says_why():
  record = RunRecord(starting_version='1796039069', training_start=TrainingStart(
      warm=False, why_cold='--cold-start', recipe='fast', epochs=5))
  assert summary.start(record) == 'from random weights (--cold-start): 5 epochs of the fast recipe'


def test_a_damaged_served_version_is_named_rather_than_called_absent():
  """StartingModel copied nothing, so the Trainer saw no model; StartingModel knows why."""
  record = RunRecord(starting_version='7', starting_problem='variables/variables.index: changed',
                     training_start=TrainingStart(
                         warm=False, why_cold='no model was served when the data arrived',
                         recipe='fast', epochs=5))
  assert summary.start(record) == ('from random weights (served version 7 was damaged '
                                   '(variables/variables.index: changed)): 5 epochs of the '
                                   'fast recipe')
