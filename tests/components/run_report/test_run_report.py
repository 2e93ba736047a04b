"""RunReport on the shared quick run: the page it wrote, read back and checked against the run.

The page's numbers must be the Evaluator's (read from ML Metadata and TFMA, as the
summary reads them), and every picture in it must decode.
"""

import base64
import io
import os
import re

from PIL import Image
import pytest

from mnist_tfx.lib import run_record
from mnist_tfx.lib.payloads import TrainingStart
from mnist_tfx.pipeline import configs
from tests.support import idx_files
from tests.support.cli_runs import REPORT_FIGURES
from tests.support.cli_runs import report_page

pytestmark = pytest.mark.full

def _page(first_run):
  output_dir, result = first_run
  assert result.returncode == 0
  path = report_page(result.stdout)
  assert path.startswith(os.path.join(str(output_dir), 'pipeline', 'RunReport', 'report'))
  assert path.endswith('index.html')
  with open(path) as f:
    return f.read()


def _main_attributes(page: str) -> dict:
  tag = re.search(r'<main ([^>]*)>', page).group(1)
  return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag))


def _evaluator(first_run) -> run_record.RunRecord:
  from mnist_tfx.pipeline import run_reader  # pylint: disable=g-import-not-at-top
  output_dir, _ = first_run
  config = configs.PipelineConfig(output_dir=str(output_dir))
  return run_reader.all_runs(config.metadata_path)[0]


def test_every_picture_decodes_and_nothing_is_fetched(first_run):
  page = _page(first_run)
  sources = re.findall(r'<img [^>]*src="([^"]*)"', page)
  assert len(sources) == len(REPORT_FIGURES)
  for name in REPORT_FIGURES:
    assert f'id="figure-{name}"' in page
  for source in sources:
    assert source.startswith('data:image/png;base64,')
    image = Image.open(io.BytesIO(base64.b64decode(source.split(',', 1)[1])))
    image.load()
    assert image.width >= 300 and image.height >= 100
  assert not re.search(r'(src|href)="(https?:)?//', page)  # Opens without a network.


def test_the_accuracy_is_the_evaluators_and_the_mistakes_add_up(first_run):
  page = _page(first_run)
  attributes = _main_attributes(page)
  evaluated = _evaluator(first_run)
  assert evaluated.overall_accuracy is not None
  assert float(attributes['accuracy']) == evaluated.overall_accuracy
  assert f'<b>{evaluated.overall_accuracy:.4f}</b>' in page
  assert int(attributes['test-digits']) == idx_files.SMALL_EVAL
  wrong = int(attributes['misclassified'])
  assert wrong == round((1 - evaluated.overall_accuracy) * idx_files.SMALL_EVAL)
  assert int(attributes['misclassified-shown']) == min(wrong, 100)
  assert f'{wrong:,} misclassified' in page


def test_the_decision_and_the_data_are_the_runs(first_run):
  output_dir, _ = first_run
  page = _page(first_run)
  evaluated = _evaluator(first_run)
  assert 'Decision: <span class="yes">blessed</span>' in page
  assert f'Pushed as version {evaluated.pushed_version} to' in page
  assert evaluated.pushed_to.startswith(str(output_dir))
  assert 'no model served yet' in page  # The first run: nothing to compare with.
  # Nor to start from: the Trainer's own record of how it began (trainer_module/trainer.py).
  assert ('<p id="start">Started from random weights (no model was served when the data '
          'arrived): 2 epochs of the fast recipe.</p>') in page
  assert evaluated.training_start == TrainingStart(
      warm=False, why_cold='no model was served when the data arrived', recipe='fast', epochs=2)
  assert evaluated.starting_version == ''  # StartingModel's served_version: written, empty.
  worst = min(evaluated.digit_accuracy.items(), key=lambda item: item[1])
  assert f'worst: digit {worst[0]} at {worst[1]:.4f}' in page
  assert f'<tr><td>eval</td><td>{idx_files.SMALL_EVAL:,}</td>' in page
  assert f'<tr><td>train</td><td>{idx_files.SMALL_TRAIN:,}</td>' in page
  assert 'Anomalies against the schema: none (splits checked: train, eval)' in page


def test_the_header_names_the_local_runs_log_and_code(first_run):
  """A local run: the page names the log file the terminal named, and the code's
  fingerprint that keyed TFX's cache (pipeline/cache_keys.py)."""
  _, result = first_run
  page = _page(first_run)
  log = re.search(r'^Log: (.*)$', result.stdout, re.M)[1]
  assert f'Log: <code>{log}</code>.</p>' in page
  assert re.search(r'Code fingerprint: [0-9a-f]{16}\.</p>', page)
