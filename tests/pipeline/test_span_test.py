"""SpanTest through the command line: a trained span's own test digits, beside the fixed set.

Span 1 is the shared first run's small slice (its t10k-* pair is the fixed set, so it has
no test digits of its own), served as version 1. On a copy of that run's ML Metadata and
serving directory, span 2 arrives with 2,000 real test digits of its own whose labels are
all wrong (each shifted by one). The run trains on span 2; the served-model comparison is
loosened (--max-regression 1) so that the fixed set's thresholds alone decide, and it pushes.

The story: SpanTest's figure is the pushed model's, on those digits, in the summary,
history, the report and lineage, and it gates nothing. What SpanTest computes, on right
labels and wrong ones, is tested on its executor (tests/components/test_span_test.py).
"""

import os
import re
import shutil

import numpy as np
import pytest

from mnist_tfx.app import cli
from mnist_tfx.lib import features
from mnist_tfx.pipeline import configs
from tests.support import idx_files
from tests.support.folders import copy_run
from tests.support.cli_runs import QUICK
from tests.support.cli_runs import cli_output
from tests.support.cli_runs import component_states
from tests.support.cli_runs import report_page
from tests.support.cli_runs import run_cli
from tests.support.cli_runs import served_versions

pytestmark = pytest.mark.full

# As many training digits as span 1: fewer, two epochs leave some digits unlearnt.
TRAIN = slice(5000, 10000)
# Past the fixed set's first 1,000 test digits (idx_files.SMALL_EVAL): none is in it.
OWN_TEST = slice(1000, 3000)
FLAGS = (*QUICK, '--max-regression', '1')


@pytest.fixture(scope='module')
def story(tmp_path_factory, small_data_root, first_run):
  """The first run (span 1), then a run on span 2, whose own test labels are wrong."""
  base = tmp_path_factory.mktemp('span_test')
  output_dir = base / 'outputs'
  copy_run(first_run[0], output_dir)
  data = base / 'data'
  shutil.copytree(small_data_root, data)
  train_images, train_labels = idx_files.read_split('train', TRAIN.stop)
  test_images, test_labels = idx_files.read_split('eval', OWN_TEST.stop)
  own = (test_images[OWN_TEST], (test_labels[OWN_TEST] + 1) % features.NUM_CLASSES)
  batch = base / 'batch-2'
  idx_files.write_data_root(batch, {'train': (train_images[TRAIN], train_labels[TRAIN]),
                                    'eval': own})
  assert cli.main(['add-span', str(batch), '--data-root', str(data)]) == cli.EXIT_OK
  found = {'first': first_run[1], 'outputs': output_dir, 'data': data, 'own': own,
           'result': run_cli(data, output_dir, *FLAGS),
           'versions': served_versions(output_dir)}
  found['history'] = cli_output('history', '--output-dir', output_dir)
  found['lineage'] = cli_output('history', '--output-dir', output_dir, '--lineage',
                                found['versions'][-1])
  return found


def _records(story):
  """Every run in the copy of the store: the first run first, span 2 last. Between them,
  the runs other modules made on the shared first run's folder before it was copied."""
  from mnist_tfx.pipeline import run_reader  # pylint: disable=g-import-not-at-top
  config = configs.PipelineConfig(output_dir=str(story['outputs']))
  return run_reader.all_runs(config.metadata_path)


def _served_accuracy(story) -> float:
  """The pushed model's accuracy on the span's own test digits, computed here: its
  serving_pixels signature (not SpanTest's serving_default) on the IDX arrays."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  images, labels = story['own']
  model = tf.saved_model.load(os.path.join(story['outputs'], 'serving', story['versions'][-1]))
  digits = model.signatures['serving_pixels'](pixels=tf.constant(images, tf.float32))['digit']
  return float(np.mean(digits.numpy() == labels))


def _span_line(stdout: str) -> str:
  return next(line for line in stdout.splitlines() if line.startswith('span tests:'))


def _report_row(stdout: str, span: int) -> float:
  with open(report_page(stdout)) as f:
    page = f.read()
  return float(re.search(rf'<tr data-span="{span}" data-accuracy="([^"]*)">', page)[1])


def test_a_span_without_test_digits_of_its_own_says_none(story):
  assert story['first'].returncode == cli.EXIT_OK
  assert _span_line(story['first'].stdout) == (
      'span tests:    none: the trained spans carry no test digits of their own')
  assert _records(story)[0].span_tests == []


def test_span_2s_own_test_digits_are_read_by_the_pushed_model_and_do_not_gate(story):
  result = story['result']
  # Blessed on the fixed set and pushed, whatever the span's own labels say.
  assert result.returncode == cli.EXIT_OK
  assert 'blessed:       yes' in result.stdout
  assert component_states(result.stdout)['SpanTest'] == 'ran'
  assert len(story['versions']) == 2
  expected = _served_accuracy(story)
  record = _records(story)[-1]
  (found,) = record.span_tests
  assert (found.span, found.split, found.digits) == (2, 'test_span_2', 2000)
  assert found.accuracy == expected < 0.2
  assert len(found.per_digit) == 10
  assert _span_line(result.stdout) == (
      f'span tests:    span 2: {expected:.4f} on its own 2000 test digits '
      f'(fixed set {record.overall_accuracy:.4f}); not a gate')
  assert _report_row(result.stdout, 2) == expected
  # Every label is one more than the digit: the model's answers are the labels less one.
  confusion = found.confusions[0]
  assert confusion.predicted == (confusion.true - 1) % features.NUM_CLASSES


def test_history_shows_each_runs_span_test(story):
  status, history = story['history']
  assert status == cli.EXIT_OK
  header, *runs = history.splitlines()
  assert 'span test' in header
  # Date, time, spans, labels, start, accuracy, span test.
  column = [line.split()[6] for line in runs]
  assert set(column[:-1]) == {'-'}  # Span 1: the first run, and any re-run of it.
  assert column[-1] == f'{_records(story)[-1].span_tests[0].accuracy:.4f}'


def test_lineage_names_the_span_test_files(story):
  status, lineage = story['lineage']
  assert status == cli.EXIT_OK
  files = [line.split() for line in lineage.splitlines() if line.startswith('    ')]
  own = [words for words in files if words[0] == 'test_span_2']
  assert [words[3] for words in own] == [
      os.path.join(str(story['data']), 'span-2', f't10k-{kind}-idx{n}-ubyte.gz')
      for kind, n in (('images', 3), ('labels', 1))]
  # The split names line up in one column.
  assert len({line.index(' span ') for line in lineage.splitlines()
              if line.startswith('    ') and ' span ' in line}) == 1
