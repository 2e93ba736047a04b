"""AtomicPusher's executor on the session's tiny model (tests/support/artifacts.py): a push
repeated after a crash is recorded, not copied again, and a damaged served version is never
taken for the model. Each push that publishes runs the canary in a fresh process (about
3 s here). (The canary's own cases: tests/reliability/test_canary.py.)"""

import os

from mnist_tfx.lib import serving_dir
from tests.support import artifacts

# TFX is imported by each test, not at collection (half a minute).
# pylint: disable=g-import-not-at-top


def _push(tiny_trained, serving, folder):
  """The session's model pushed (tests/support/artifacts.push); the version it recorded."""
  from mnist_tfx.lib import contracts
  pushed = artifacts.push(artifacts.serving_model(tiny_trained['model']), serving, folder)
  assert pushed.get_int_custom_property(contracts.Property.PUSHED) == 1
  return pushed.get_string_custom_property(contracts.Property.PUSHED_VERSION)


def test_a_push_repeated_after_a_crash_records_the_version_already_there(
    tmp_path, tiny_trained):
  serving = str(tmp_path / 'serving')
  first = _push(tiny_trained, serving, tmp_path / '1')
  # The process died after the rename, before ML Metadata recorded the push: the step runs again.
  again = _push(tiny_trained, serving, tmp_path / '2')
  assert again == first and serving_dir.versions(serving) == [first]


def test_a_damaged_served_version_is_pushed_over_not_recorded(tmp_path, tiny_trained):
  serving = str(tmp_path / 'serving')
  # The same model, served earlier (published as a push publishes it, without the canary).
  first = serving_dir.publish(artifacts.serving_model(tiny_trained['model']), serving)
  with open(os.path.join(serving, first, 'saved_model.pb'), 'ab') as f:
    f.write(b'!')
  second = _push(tiny_trained, serving, tmp_path / '2')
  assert serving_dir.versions(serving) == [first, second]
  assert serving_dir.problem(serving, second) is None


def test_the_marks_are_the_stock_pushers_of_this_tfx():
  """TFX has no public way to mark a PushedModel: ours must write what its Pusher writes."""
  from tfx.components.pusher import executor as stock_pusher
  from tfx.types import standard_artifacts
  from mnist_tfx.components.atomic_pusher import executor
  for version in ('7', None):
    ours, stock = standard_artifacts.PushedModel(), standard_artifacts.PushedModel()
    executor.mark(ours, version, destination='/serving/7')
    if version is None:
      stock_pusher.Executor()._MarkNotPushed(stock)  # pylint: disable=protected-access
    else:
      stock_pusher.Executor()._MarkPushed(  # pylint: disable=protected-access
          stock, pushed_destination='/serving/7', pushed_version=version)
    assert ours.mlmd_artifact.custom_properties == stock.mlmd_artifact.custom_properties


def test_the_blessing_check_model_path_and_keys_are_the_stock_pushers(tmp_path):
  """Written rather than inherited (so the Pusher's step does not import every TFX
  component): each must still answer as the stock Pusher's executor does."""
  from tfx.components.pusher import executor as stock_pusher
  from tfx.types import standard_artifacts
  from tfx.types import standard_component_specs as specs
  from mnist_tfx.components.atomic_pusher import executor
  assert (executor.MODEL_KEY, executor.MODEL_BLESSING_KEY, executor.INFRA_BLESSING_KEY,
          executor.PUSHED_MODEL_KEY, executor.PUSH_DESTINATION_KEY,
          executor.CUSTOM_CONFIG_KEY) == (
              specs.MODEL_KEY, specs.MODEL_BLESSING_KEY, specs.INFRA_BLESSING_KEY,
              specs.PUSHED_MODEL_KEY, specs.PUSH_DESTINATION_KEY, specs.CUSTOM_CONFIG_KEY)
  stock = stock_pusher.Executor()
  model = standard_artifacts.Model()
  model.uri = str(tmp_path / 'model')
  inputs = {'model': [model]}
  assert executor.model_to_push(inputs) == stock.GetModelPath(inputs)
  assert executor.blessed(inputs) and stock.CheckBlessing(inputs)  # No validator: pushed.
  for key, kind in (('model_blessing', standard_artifacts.ModelBlessing),
                    ('infra_blessing', standard_artifacts.InfraBlessing)):
    for value in (None, 0, 1, 2):
      blessing = kind()
      if value is not None:
        blessing.set_int_custom_property('blessed', value)
      with_blessing = {**inputs, key: [blessing]}
      assert executor.blessed(with_blessing) == stock.CheckBlessing(with_blessing) == (
          value == 1), (key, value)
