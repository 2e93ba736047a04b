"""The Pusher's canary: a staged version that cannot load, or answers otherwise than the trained
model, or too slowly, is never published; a good one is published with warm-up requests that
TF Serving can replay.

The staged versions are the shared first run's Trainer model, copied and then broken the
way a real export or copy breaks: a truncated variables file, a serving_pixels signature
that reads the image transposed. The canary itself runs for real, in its own process.
"""

import glob
import json
import os
import shutil

import numpy as np
import pytest

from mnist_tfx.lib import contracts
from mnist_tfx.lib import serving_dir
from tests.support import artifacts
from tests.support.cli_runs import QUICK
from tests.support.cli_runs import report_page
from tests.support.cli_runs import run_cli
from tests.support.cli_runs import served_versions

pytestmark = pytest.mark.full

# pylint: disable=g-import-not-at-top  (TensorFlow and TFX load inside the tests.)


def _trainer_model(first_run) -> str:
  """The first run's Trainer output: the SavedModel the Pusher was given."""
  found = glob.glob(os.path.join(first_run[0], 'pipeline', 'Trainer', 'model', '*',
                                 'Format-Serving'))
  assert len(found) == 1, found
  return found[0]


def _page(stdout: str) -> str:
  with open(report_page(stdout)) as f:
    return f.read()


def _served(first_run, tmp_path):
  """A copy of the first run's serving folder, and its files' manifest before the push."""
  serving = tmp_path / 'serving'
  shutil.copytree(os.path.join(first_run[0], 'serving'), serving)
  return serving, {v: serving_dir.manifest(str(serving / v)) for v in os.listdir(serving)}


def _refused(pushed, serving, before):
  """The canary's failure; asserts that nothing was published or left behind."""
  assert pushed.get_int_custom_property(contracts.Property.PUSHED) == 0
  verdict = json.loads(pushed.get_string_custom_property(contracts.Property.CANARY))
  assert not verdict['passed'] and verdict['failure']
  assert sorted(os.listdir(serving)) == sorted(before)  # No new version, no hidden copy.
  for version, files in before.items():
    assert serving_dir.manifest(str(serving / version)) == files
    assert serving_dir.problem(str(serving), version) is None
  return verdict['failure']


def test_a_staged_model_that_cannot_load_is_not_published(first_run, tmp_path, record):
  broken = tmp_path / 'broken'
  shutil.copytree(_trainer_model(first_run), broken)
  data = glob.glob(str(broken / 'variables' / 'variables.data-*'))[0]
  with open(data, 'r+b') as f:
    f.truncate(os.path.getsize(data) // 2)
  serving, before = _served(first_run, tmp_path)
  failure = _refused(artifacts.push(broken, serving, tmp_path), serving, before)
  record('canary: the staged model cannot load (variables file cut in half)',
         'not published; the served version untouched; no hidden copy left',
         f'not published: `{failure}`; served files unchanged')
  assert failure.startswith('load: ')


def test_a_model_whose_serving_pixels_answers_differ_is_not_published(
    first_run, tmp_path, record):
  import tensorflow as tf
  original = _trainer_model(first_run)
  loaded = tf.saved_model.load(original)
  skewed = tf.Module()
  skewed.original = loaded

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name='examples')])
  def serve_examples(examples):
    return loaded.signatures[contracts.Signature.SERVING_DEFAULT](examples=examples)

  @tf.function(input_signature=[tf.TensorSpec(None, tf.float32, name='pixels')])
  def serve_pixels(pixels):
    # An export bug: rows and columns swapped before the model sees the image.
    image = tf.transpose(tf.reshape(pixels, [-1, 28, 28]), [0, 2, 1])
    return loaded.signatures[contracts.Signature.SERVING_PIXELS](pixels=image)

  export = tmp_path / 'skewed'
  tf.saved_model.save(skewed, str(export), signatures={
      contracts.Signature.SERVING_DEFAULT: serve_examples.get_concrete_function(),
      contracts.Signature.SERVING_PIXELS: serve_pixels.get_concrete_function()})
  shutil.copytree(os.path.join(original, 'assets.extra'), export / 'assets.extra')
  serving, before = _served(first_run, tmp_path)
  failure = _refused(artifacts.push(export, serving, tmp_path), serving, before)
  record('canary: serving_pixels answers otherwise than the trained model (image transposed)',
         'not published, naming the signature; the served version untouched',
         f'not published: `{failure}`; served files unchanged')
  assert failure.startswith(f'{contracts.Signature.SERVING_PIXELS} [32, 28, 28]: answers differ')


def test_a_good_version_is_published_with_warmup_requests_that_replay(first_run, record):
  """The first run's pushed version, read back with TF Serving's protos and replayed through
  TensorFlow's other loader (tf.saved_model.load) against the Trainer's answers."""
  import tensorflow as tf
  from tensorflow_serving.apis import prediction_log_pb2
  output_dir, result = first_run
  assert 'canary:        passed in ' in result.stdout
  assert 'The staged copy passed the canary first' in _page(result.stdout)
  version = os.path.join(output_dir, 'serving', served_versions(output_dir)[-1])
  covered = serving_dir.manifest(version)
  with open(os.path.join(version, serving_dir.MANIFEST)) as f:
    assert json.load(f) == covered  # The warm-up file is in the manifest, as every file.
  assert contracts.File.WARMUP_REQUESTS in covered
  with open(os.path.join(version, contracts.File.EXPECTED_ANSWERS)) as f:
    expected = json.load(f)
  loaded = tf.saved_model.load(version)
  replayed = []
  for record_bytes in tf.data.TFRecordDataset(
      os.path.join(version, contracts.File.WARMUP_REQUESTS)).as_numpy_iterator():
    request = prediction_log_pb2.PredictionLog.FromString(record_bytes).predict_log.request
    inputs = {name: tf.constant(tf.make_ndarray(proto)) for name, proto in request.inputs.items()}
    answer = loaded.signatures[request.model_spec.signature_name](**inputs)
    count = answer['probabilities'].shape[0]
    np.testing.assert_allclose(answer['probabilities'].numpy(),
                               expected['probabilities'][:count], atol=1e-4)
    replayed.append((request.model_spec.signature_name, count))
  signatures = sorted({name for name, _ in replayed})
  record('canary: a good model', 'published with TF Serving warm-up requests that replay',
         f'published; {len(replayed)} warm-up requests ({", ".join(signatures)}; 1 and 4 digits '
         'each) replay through the loaded version with the trained model\'s answers')
  assert signatures == [contracts.Signature.SERVING_DEFAULT, contracts.Signature.SERVING_PIXELS]
  assert sorted(count for _, count in replayed) == [1, 1, 1, 4, 4, 4]


def test_a_version_slower_than_the_bound_is_not_published(
    first_run, small_data_root, tmp_path, record):
  """A real run on a copy of the first run's outputs: another seed trains another model
  (the same one would be recognised as already served), any model passes the gate, and the
  canary's bound is below any call."""
  output_dir = tmp_path / 'outputs'
  shutil.copytree(first_run[0], output_dir)
  os.remove(output_dir / '.last-run.json')
  before = served_versions(output_dir)
  files = {v: serving_dir.manifest(str(output_dir / 'serving' / v)) for v in before}
  # Any model passes this gate: the canary alone decides.
  result = run_cli(small_data_root, output_dir, *QUICK, '--seed', '8', '--epochs', '1',
                   '--accuracy-threshold', '0', '--digit-accuracy-floor', '0',
                   '--max-regression', '1', '--canary-max-latency-ms', '0.001')
  canary_line = [line for line in result.stdout.splitlines() if line.startswith('canary:')]
  record('canary: one digit takes longer than `--canary-max-latency-ms`',
         'exit 4; `canary: FAILED, the version was not published: ...`; served files unchanged',
         f'exit {result.returncode}; `{canary_line[0] if canary_line else "no canary line"}`; '
         f'versions {served_versions(output_dir) == before and "unchanged" or "CHANGED"}',
         'mnist-pipeline run ... --seed 8 --canary-max-latency-ms 0.001')
  assert result.returncode == 4
  assert canary_line and 'FAILED, the version was not published: ' in canary_line[0]
  assert 'above the bound of 0.001 ms' in canary_line[0]
  assert 'Blessed, but not published' in _page(result.stdout)
  assert served_versions(output_dir) == before
  assert {v: serving_dir.manifest(str(output_dir / 'serving' / v)) for v in before} == files


def test_on_an_object_store_a_refused_version_never_lands_and_a_good_one_lands_graph_last(
    first_run, tmp_path, record, monkeypatch):
  """gs:// (TensorFlow's ram:// stands in): staged and checked on the local disk first."""
  from tfx.dsl.io import fileio
  written = []
  copy = fileio.copy

  def recorded(source, target, overwrite=False):
    if str(target).startswith('ram://'):  # Not the staging copy on the local disk.
      written.append(str(target))
    return copy(source, target, overwrite=overwrite)
  monkeypatch.setattr(fileio, 'copy', recorded)
  serving = 'ram://canary-test/serving'
  broken = tmp_path / 'broken'
  shutil.copytree(_trainer_model(first_run), broken)
  os.remove(broken / 'saved_model.pb')
  refused = artifacts.push(broken, serving, tmp_path / 'first')
  assert refused.get_int_custom_property(contracts.Property.PUSHED) == 0
  refused_writes = len(written)
  assert not written and serving_dir.versions(serving) == []
  assert not fileio.exists(serving)  # Not one object under the serving folder.

  pushed = artifacts.push(_trainer_model(first_run), serving, tmp_path / 'second')
  version = pushed.get_string_custom_property(contracts.Property.PUSHED_VERSION)
  record('canary on gs:// (ram:// stands in): a staged model without its graph, then a good one',
         'the refused one writes no object; the good one is copied with saved_model.pb last',
         f'refused: {refused_writes} objects written; good: {len(written)} objects, the last '
         f'{os.path.relpath(written[-1], serving)}')
  assert serving_dir.versions(serving) == [version]
  assert written[-1] == f'{serving}/{version}/saved_model.pb'
  assert serving_dir.problem(serving, version) is None
