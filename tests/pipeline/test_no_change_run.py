"""A run with nothing changed answers without TFX; each change the cache would notice
starts a real run (TFX started, its component table printed).

One module fixture runs the story in order on its own data and output folders: a
first run, then the same run again, then one change at a time, each followed by its
check. (A change of the code is tested on a copy of it in test_unchanged.py: editing
the project's own files would change every other test's runs.)
"""

import os
import shutil

import pytest

from mnist_tfx.lib import serving_dir
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.pipeline import unchanged
from tests.support.cli_runs import TINY
from tests.support.cli_runs import component_states
from tests.support.cli_runs import run_cli
from tests.support.cli_runs import run_warm
from tests.support.cli_runs import served_versions

pytestmark = pytest.mark.full

NO_TFX = 'TFX was not started'


@pytest.fixture(scope='module')
def story(tmp_path_factory, tiny_data_root):
  base = tmp_path_factory.mktemp('no_change')
  data, outputs = base / 'data', base / 'outputs'
  shutil.copytree(tiny_data_root, data)
  runs = {}

  def run(name, *flags):
    runs[name] = run_cli(data, outputs, *TINY, *flags)

  run('first')
  run('same again')
  run('configuration changed', '--max-regression', '0.5')
  run('configuration changed, same again', '--max-regression', '0.5')
  # A newer version, published as a push would, so that the rollback goes back to an
  # earlier one (a rollback to the version served writes nothing).
  serving = os.path.join(outputs, 'serving')
  serving_dir.publish(os.path.join(serving, served_versions(outputs)[0]), serving)
  runs['rollback'] = run_warm('rollback', served_versions(outputs)[0], '--output-dir', outputs)
  run('after the rollback', '--max-regression', '0.5')
  run('after the rollback, same again', '--max-regression', '0.5')
  newest = os.path.join(outputs, 'serving', served_versions(outputs)[-1])
  with open(os.path.join(newest, 'variables', 'variables.index'), 'ab') as f:
    f.write(b'\0')
  run('served model damaged', '--max-regression', '0.5')
  first_file = sorted(os.listdir(data))[0]
  os.utime(data / first_file)  # The file is rewritten with the same bytes: a new mtime.
  run('data changed', '--max-regression', '0.5')
  return runs, outputs


def _answered_without_tfx(result) -> bool:
  return result.returncode == 0 and NO_TFX in result.stdout and not component_states(
      result.stdout)


def _ran_tfx(result) -> bool:
  return (NO_TFX not in result.stdout
          and len(component_states(result.stdout)) == len(ComponentId.ORDER))


def test_the_same_run_again_answers_without_tfx_with_the_first_runs_outcome(story):
  runs, outputs = story
  assert runs['first'].returncode == 0 and _ran_tfx(runs['first'])
  same = runs['same again']
  assert _answered_without_tfx(same)
  assert f'pushed to:     {outputs}/serving/' in same.stdout
  assert 'test accuracy:' in same.stdout


def test_a_changed_configuration_starts_a_real_run_and_then_is_the_new_normal(story):
  runs, _ = story
  changed = runs['configuration changed']
  assert _ran_tfx(changed)
  # The cache still decides: the Evaluator's thresholds changed, training did not.
  states = component_states(changed.stdout)
  assert states['Trainer'] == 'cached' and states['Evaluator'] == 'ran'
  assert _answered_without_tfx(runs['configuration changed, same again'])


def test_a_rollback_starts_a_real_run(story):
  runs, _ = story
  assert runs['rollback'].returncode == 0
  assert _ran_tfx(runs['after the rollback'])
  assert _answered_without_tfx(runs['after the rollback, same again'])


def test_a_damaged_served_model_starts_a_real_run_that_sees_the_damage(story):
  runs, _ = story
  damaged = runs['served model damaged']
  assert _ran_tfx(damaged)
  assert component_states(damaged.stdout)['ServedModel'] == 'ran'
  assert 'served model:  DAMAGED' in damaged.stdout


def test_changed_data_starts_a_real_run_from_ingestion(story):
  runs, outputs = story
  changed = runs['data changed']
  assert _ran_tfx(changed)
  assert component_states(changed.stdout)['IdxExampleGen'] == 'ran'
  assert os.path.exists(os.path.join(outputs, unchanged.STAMP))  # It completed: vouched for.
