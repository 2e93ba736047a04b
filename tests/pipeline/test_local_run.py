"""The whole pipeline through the command line, on a small slice of MNIST.

Each run is a real `mnist-pipeline run` in a subprocess: real components, real
data, the exit status and the serving directory are what is checked.
"""

import os

import numpy as np
import pytest

from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.pipeline import configs
from tests.support.cli_runs import QUICK
from tests.support.cli_runs import component_states
from tests.support.cli_runs import run_cli
from tests.support.cli_runs import served_versions
from tests.support.folders import snapshot

pytestmark = pytest.mark.full


def test_first_run_pushes_a_blessed_model(first_run):
  output_dir, result = first_run
  assert result.returncode == 0
  versions = served_versions(output_dir)
  assert len(versions) == 1 and versions[0].isdigit()
  assert f'pushed to:     {output_dir}/serving/{versions[0]}' in result.stdout
  assert 'blessed:       yes' in result.stdout
  assert set(component_states(result.stdout).values()) == {'ran'}
  assert len(component_states(result.stdout)) == len(ComponentId.ORDER)


def test_no_beam_step_tried_prism(first_run):
  """StatisticsGen, Transform and the Evaluator ran on the runner lib/beam_runner.py names:
  left to Beam, each would have logged its try on Prism (tests/lib/test_beam_runner.py)."""
  output_dir, _ = first_run
  logs = [os.path.join(output_dir, 'logs', name)
          for name in os.listdir(os.path.join(output_dir, 'logs'))]
  assert len(logs) == 1
  with open(logs[0]) as f:
    text = f.read()
  assert 'Component Evaluator is finished' in text
  assert 'PrismRunner' not in text


def test_both_signatures_answer_real_test_digits(first_run, mnist_arrays):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from mnist_tfx.components.idx_example_gen import records  # pylint: disable=g-import-not-at-top
  output_dir, _ = first_run
  model = tf.saved_model.load(os.path.join(output_dir, 'serving', served_versions(output_dir)[0]))
  images, labels = mnist_arrays['eval']
  images, labels = images[:300], labels[:300]

  serialized = records.to_examples(images, np.zeros(len(images), np.int64))
  by_example = model.signatures['serving_default'](examples=tf.constant(serialized))
  by_pixels = model.signatures['serving_pixels'](
      pixels=tf.constant(images.reshape(-1, 28, 28), tf.float32))
  by_flat_pixels = model.signatures['serving_pixels'](pixels=tf.constant(images, tf.float32))

  digits = by_example['digit'].numpy()
  np.testing.assert_array_equal(by_pixels['digit'].numpy(), digits)
  np.testing.assert_array_equal(by_flat_pixels['digit'].numpy(), digits)
  np.testing.assert_allclose(by_pixels['probabilities'].numpy(),
                             by_example['probabilities'].numpy(), atol=1e-5)
  np.testing.assert_allclose(by_example['probabilities'].numpy().sum(axis=1), 1.0, atol=1e-4)
  assert np.mean(digits == labels) >= 0.8


def test_the_run_record_reads_back_what_each_component_wrote(first_run):
  """Every property the run record reads (lib/contracts.py) was written under that name."""
  from mnist_tfx.pipeline import run_reader  # pylint: disable=g-import-not-at-top
  output_dir, _ = first_run
  record = run_reader.all_runs(configs.PipelineConfig(output_dir=str(output_dir)).metadata_path)[0]
  assert [step.name for step in record.components] == list(ComponentId.ORDER)
  assert record.train_spans == [1]  # IdxExampleGen's spans.
  assert record.served_problem == ''  # ServedModel's served_problem: written, and empty.
  assert record.overall_accuracy is not None and len(record.digit_accuracy) == 10
  assert record.blessed is True  # The Evaluator's blessing.
  assert record.pushed_version == served_versions(output_dir)[0]  # The Pusher's.
  assert record.pushed_to == os.path.join(output_dir, 'serving', record.pushed_version)
  assert os.path.isfile(record.report_page)  # RunReport's page_path.


def test_the_same_data_and_seed_train_the_same_model(first_run, small_data_root, tmp_path):
  """A second cold run, with the first run's flags and seed, in a folder of its own: the
  served weights are the same bytes. Transform's constants once varied in their last bits
  from run to run (tests/trainer_module/test_preprocessing.py), and the models with them."""
  first_dir, _ = first_run
  assert run_cli(small_data_root, tmp_path, *QUICK).returncode == 0
  assert _served_weights(tmp_path) == _served_weights(first_dir)


def _served_weights(output_dir) -> dict:
  """{file: SHA-256} of the served version's variables folder."""
  return snapshot(os.path.join(output_dir, 'serving', served_versions(output_dir)[0],
                               'variables'))
