"""SpanTest through the command line: each trained span's own test digits, beside the fixed set.

Span 1 is the shared first run's small slice (its t10k-* pair is the fixed set, so it has
no test digits of its own), served as version 1. On a copy of that run's ML Metadata and
serving directory, span 2 arrives with 2,000 real test digits of its own, then span 3 with
2,000 more whose labels are all wrong (each shifted by one). Each run trains on its newest
span; the served-model comparison is loosened (--max-regression 1) so that the fixed
set's thresholds alone decide, and both runs push.
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
TRAIN = {2: slice(5000, 10000), 3: slice(10000, 15000)}
# Past the fixed set's first 1,000 test digits (idx_files.SMALL_EVAL): none is in it.
OWN_TEST = {2: slice(1000, 3000), 3: slice(3000, 5000)}
FLAGS = (*QUICK, '--max-regression', '1')


@pytest.fixture(scope='module')
def story(tmp_path_factory, small_data_root, first_run):
  """The first run (span 1), then a run on span 2 and one on span 3, in order."""
  base = tmp_path_factory.mktemp('span_test')
  output_dir = base / 'outputs'
  copy_run(first_run[0], output_dir)
  data = base / 'data'
  shutil.copytree(small_data_root, data)
  train_images, train_labels = idx_files.read_split('train', TRAIN[3].stop)
  test_images, test_labels = idx_files.read_split('eval', OWN_TEST[3].stop)
  own = {2: (test_images[OWN_TEST[2]], test_labels[OWN_TEST[2]]),
         3: (test_images[OWN_TEST[3]], (test_labels[OWN_TEST[3]] + 1) % features.NUM_CLASSES)}
  found = {'first': first_run[1], 'outputs': output_dir, 'data': data, 'own': own}
  for span in (2, 3):
    batch = base / f'batch-{span}'
    idx_files.write_data_root(batch, {'train': (train_images[TRAIN[span]],
                                                train_labels[TRAIN[span]]),
                                      'eval': own[span]})
    assert cli.main(['add-span', str(batch), '--data-root', str(data)]) == cli.EXIT_OK
    found[span] = {'result': run_cli(data, output_dir, *FLAGS),
                   'version': served_versions(output_dir)[-1]}
  found['history'] = cli_output('history', '--output-dir', output_dir)
  found['lineage'] = cli_output('history', '--output-dir', output_dir, '--lineage',
                                 found[3]['version'])
  return found


def _records(story):
  """Every run in the copy of the store: the first run first, spans 2 and 3 last. Between
  them, the runs other modules made on the shared first run's folder before it was copied
  (their number depends on which ran first)."""
  from mnist_tfx.pipeline import run_reader  # pylint: disable=g-import-not-at-top
  config = configs.PipelineConfig(output_dir=str(story['outputs']))
  return run_reader.all_runs(config.metadata_path)


def _served_accuracy(story, span) -> float:
  """The pushed model's accuracy on the span's own test digits, computed here: its
  serving_pixels signature (not SpanTest's serving_default) on the IDX arrays."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  images, labels = story['own'][span]
  model = tf.saved_model.load(os.path.join(story['outputs'], 'serving', story[span]['version']))
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


def test_span_2s_own_test_digits_are_read_by_the_candidate(story):
  result = story[2]['result']
  assert result.returncode == cli.EXIT_OK
  assert component_states(result.stdout)['SpanTest'] == 'ran'
  expected = _served_accuracy(story, 2)
  record = _records(story)[-2]
  (found,) = record.span_tests
  assert (found['span'], found['split'], found['digits']) == (2, 'test_span_2', 2000)
  assert found['accuracy'] == expected
  assert expected >= 0.8  # Real digits with right labels: about the fixed set's figure.
  assert sum(found['per_digit'].values()) > 0 and len(found['per_digit']) == 10
  assert _span_line(result.stdout) == (
      f'span tests:    span 2: {expected:.4f} on its own 2000 test digits '
      f'(fixed set {record.overall_accuracy:.4f}); not a gate')
  assert _report_row(result.stdout, 2) == expected


def test_wrong_test_labels_give_a_low_figure_and_do_not_gate(story):
  result = story[3]['result']
  # Blessed on the fixed set and pushed, whatever the span's own labels say.
  assert result.returncode == cli.EXIT_OK
  assert 'blessed:       yes' in result.stdout
  assert story[3]['version'] != story[2]['version']
  expected = _served_accuracy(story, 3)
  (found,) = _records(story)[-1].span_tests
  assert found['accuracy'] == expected < 0.2
  assert f'span 3: {expected:.4f} on its own 2000 test digits' in _span_line(result.stdout)
  assert _report_row(result.stdout, 3) == expected
  # Every label is one more than the digit: the model's answers are the labels less one.
  true, predicted, _ = found['confusions'][0]
  assert predicted == (true - 1) % features.NUM_CLASSES


def test_history_shows_each_runs_span_test(story):
  status, history = story['history']
  assert status == cli.EXIT_OK
  header, *runs = history.splitlines()
  assert 'span test' in header
  # Date, time, spans, labels, start, accuracy, span test.
  column = [line.split()[6] for line in runs]
  records = _records(story)
  assert set(column[:-2]) == {'-'}  # Span 1: the first run, and any re-run of it.
  assert column[-2:] == [f'{records[-2].span_tests[0]["accuracy"]:.4f}',
                         f'{records[-1].span_tests[0]["accuracy"]:.4f}']


def test_lineage_names_the_span_test_files(story):
  status, lineage = story['lineage']
  assert status == cli.EXIT_OK
  files = [line.split() for line in lineage.splitlines() if line.startswith('    ')]
  own = [words for words in files if words[0] == 'test_span_3']
  assert [words[3] for words in own] == [
      os.path.join(str(story['data']), 'span-3', f't10k-{kind}-idx{n}-ubyte.gz')
      for kind, n in (('images', 3), ('labels', 1))]
  # The split names line up in one column.
  assert len({line.index(' span ') for line in lineage.splitlines()
              if line.startswith('    ') and ' span ' in line}) == 1
