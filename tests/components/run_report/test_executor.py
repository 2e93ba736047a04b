"""RunReport's executor on the session's artifacts (tests/support/artifacts.py): the tiny model
trained from random weights on 1,000 digits, evaluated with nothing served and blessed,
LabelCheck and SpanTest run here on them, nothing pushed. The page is read back: its
sections, its figures, and numbers that are the Evaluator's and the model's own answers."""

import base64
import io
import os
import re

import numpy as np
from PIL import Image
import pytest

from mnist_tfx.lib import contracts
from tests.support import artifacts
from tests.support.cli_runs import REPORT_FIGURES

# pylint: disable=g-import-not-at-top  (TFX loads inside the tests, not at collection.)


@pytest.fixture(scope='module')
def report(tmp_path_factory, tiny_trained, tiny_evaluated, tiny_described):
  """(the report artifact, the page) of the executor run as the RunReport step runs it."""
  from mnist_tfx.components.label_check.component import LabelCheck
  from mnist_tfx.components.run_report.component import RunReport
  from mnist_tfx.components.span_test.component import SpanTest
  from mnist_tfx.lib.contracts import ComponentId
  folder = tmp_path_factory.mktemp('run_report')
  properties = artifacts.exec_properties(artifacts.pipeline_config(folder, **artifacts.LOW_GATE))
  examples, model = (artifacts.artifact(tiny_trained[key]) for key in ('examples', 'model'))
  check = artifacts.new('File', folder / 'check')
  LabelCheck.EXECUTOR_SPEC.executor_class().Do(
      {'examples': [examples], 'served': [artifacts.artifact(tiny_trained['served'])]},
      {'check': [check]}, properties[ComponentId.LABEL_CHECK])
  span_tests = artifacts.new('File', folder / 'span_tests')
  SpanTest.EXECUTOR_SPEC.executor_class().Do(
      {'examples': [examples], 'model': [model]}, {'span_tests': [span_tests]}, {})
  written = artifacts.new('File', folder / 'report')
  inputs = {'model': [model], 'examples': [examples], 'label_check': [check],
            'span_tests': [span_tests],
            **{key: [artifacts.artifact(made[key])] for made, keys in (
                (tiny_trained, ('model_run',)), (tiny_described, ('statistics', 'anomalies')),
                (tiny_evaluated, ('baseline', 'evaluation', 'blessing'))) for key in keys}}
  RunReport.EXECUTOR_SPEC.executor_class().Do(inputs, {'report': [written]},
                                              properties[ComponentId.RUN_REPORT])
  with open(os.path.join(written.uri, contracts.File.REPORT_PAGE)) as f:
    return written, f.read()


def test_the_page_is_index_html_and_its_path_is_recorded(report):
  written, page = report
  assert written.get_string_custom_property(contracts.Property.PAGE_PATH) == os.path.join(
      written.uri, 'index.html')
  assert page.startswith('<!doctype html>') and page.endswith('</html>\n')
  # The four sections, in the order a reader asks: verdict, training, test, data.
  sections = re.findall(r'<section id="([a-z-]+)">', page)
  assert sections == ['decision', 'training', 'test', 'data']


def test_every_figure_is_there_and_decodes(report):
  _, page = report
  sources = re.findall(r'<figure id="figure-([a-z-]+)"><img src="([^"]*)"', page)
  assert [name for name, _ in sources] == ['loss', 'accuracy', 'learning-rate', 'digit-accuracy',
                                           'confusion', 'misclassified', 'label-shares']
  assert sorted(name for name, _ in sources) == sorted(REPORT_FIGURES)
  for _, source in sources:
    assert source.startswith('data:image/png;base64,')
    image = Image.open(io.BytesIO(base64.b64decode(source.split(',', 1)[1])))
    image.load()
    assert image.width >= 300 and image.height >= 100
  assert not re.search(r'(src|href)="(https?:)?//', page)  # Opens without a network.


def test_the_decision_and_the_training_are_the_runs(report, tiny_evaluated):
  from mnist_tfx.lib import evaluation as metrics
  _, page = report
  evaluated = metrics.from_tfma(artifacts.artifact(tiny_evaluated['evaluation']).uri)
  assert 'Decision: <span class="yes">blessed</span>' in page
  assert float(re.search(r'<main data-accuracy="([^"]*)"', page)[1]) == evaluated.accuracy
  worst = min(evaluated.digit_accuracy.items(), key=lambda item: item[1])
  assert f'worst: digit {worst[0]} at {worst[1]:.4f}' in page
  assert 'no model served yet: the thresholds alone decide' in page
  assert 'Nothing was pushed: the served model stays.' in page
  assert ('<p id="start">Started from random weights (no model was served when the data '
          f'arrived): {artifacts.EPOCHS} epoch of the fast recipe.</p>') in page


def test_the_test_digits_and_the_span_tests_are_the_models_answers(report, tiny_trained):
  _, page = report
  model = artifacts.serving_model(tiny_trained['model'])
  labels, digits = artifacts.answers(model, artifacts.split_uri(tiny_trained['examples'], 'eval'))
  wrong = int(np.sum(labels != digits))
  main = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', re.search(r'<main ([^>]*)>', page)[1]))
  assert int(main['test-digits']) == artifacts.EVAL_DIGITS
  assert int(main['misclassified']) == wrong and f'{wrong:,} misclassified' in page
  assert int(main['misclassified-shown']) == min(wrong, 100)
  labels, digits = artifacts.answers(
      model, artifacts.split_uri(tiny_trained['examples'], artifacts.SPAN_TEST_SPLIT))
  row = re.search(r'<tr data-span="1" data-accuracy="([^"]*)"><td>span 1</td><td>([0-9,]+)</td>',
                  page)
  assert float(row[1]) == np.mean(labels == digits)
  assert int(row[2]) == artifacts.SPAN_TEST_DIGITS


def test_statistics_are_read_as_tfx_reads_them(tiny_described):
  """Without TFDV (facts.split_statistics), the same proto as TFX's own reader's."""
  from mnist_tfx.components.run_report import facts
  from tfx.components.statistics_gen import stats_artifact_utils
  statistics = artifacts.artifact(tiny_described['statistics'])
  for split in ('train', 'eval', artifacts.SPAN_TEST_SPLIT):
    assert facts.split_statistics(statistics, split) == stats_artifact_utils.load_statistics(
        statistics, split).get_default_slice_or_die().proto()


def test_the_data_section_counts_each_split_and_says_what_was_checked(report):
  _, page = report
  for split, count in (('train', artifacts.TRAIN_DIGITS), ('eval', artifacts.EVAL_DIGITS),
                       (artifacts.SPAN_TEST_SPLIT, artifacts.SPAN_TEST_DIGITS)):
    assert f'<tr><td>{split}</td><td>{count:,}</td>' in page
  assert ('Anomalies against the schema: none (splits checked: train, eval, '
          f'{artifacts.SPAN_TEST_SPLIT})') in page
  # LabelCheck skipped (nothing was served): no agreement figures.
  assert '<p id="label-check">Labels: not checked (no model served yet).</p>' in page
  assert 'agrees with' not in page


def test_the_header_names_the_run_its_options_code_and_log(report, tmp_path):
  """Built with create_pipeline's parameters for the default options and a low gate, without
  the cache's keys (no code fingerprint) and outside a local run (no log file of its own)."""
  import datetime
  _, page = report
  config = artifacts.pipeline_config(tmp_path, **artifacts.LOW_GATE)
  run = re.search(r'<p id="run">Run of (\S+ \S+) UTC [^<]*Data: <code>([^<]*)</code>. '
                  r'Log: ([^<]*)\.</p>', page)
  written = datetime.datetime.strptime(run[1], '%Y-%m-%d %H:%M:%S')
  assert abs(datetime.datetime.utcnow() - written) < datetime.timedelta(hours=1)
  assert run[2] == config.data_root
  assert run[3] == "each step's own (no log file of the run)"
  seed = config.seed if config.seed is not None else 'drawn at random'
  epochs = config.epochs or "the recipe&#x27;s own"
  assert (f'Options: recipe {config.recipe}, epochs {epochs}, seed {seed}, precision '
          f'{config.precision or "float32"}; gate: overall &ge; 0, each digit &ge; 0, at most '
          '0 below the served model. Code fingerprint: not recorded (a run without the '
          'cache).</p>') in page
