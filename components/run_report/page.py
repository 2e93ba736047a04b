"""The run report as one self-contained HTML page: every image inline, no script, no network.

Built from the run record (lib/run_record.py, as the summary and `history` read it), the
plain numbers only the page shows (facts.py) and PNG bytes (figures.py). Figures sit in
a grid that is two columns at 1280 px and one on a phone, each scaled to its column;
tables scroll sideways inside their box rather than widen the page.
"""

import base64
import dataclasses
import datetime
import html
from typing import Dict, List, Optional

import numpy as np

from mnist_tfx.components.run_report import facts as facts_lib
from mnist_tfx.components.run_report import figures
from mnist_tfx.lib import contracts
from mnist_tfx.lib import payloads
from mnist_tfx.lib import run_record

# Enough to see what the model gets wrong; a bad model's thousands would bury the page.
MAX_MISCLASSIFIED_SHOWN = 100

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222;
       line-height: 1.45; margin: 0 auto; max-width: 1240px; padding: 0 16px 32px; }
h1 { font-size: 1.6em; margin: 0.8em 0 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.grid { display: grid; gap: 16px;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); }
figure { margin: 0; }
img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.yes { color: #1a7f37; font-weight: bold; }
.no { color: #d62728; font-weight: bold; }
.muted { color: #666; }
th.left, td.left { text-align: left; }
"""


@dataclasses.dataclass
class Gate:
  """The Evaluator's thresholds, drawn beside the figures."""
  accuracy_threshold: float
  digit_accuracy_floor: float
  max_regression: float


@dataclasses.dataclass
class About:
  """The run itself, for the page's header: when, with what, and where its log is."""
  written: datetime.datetime  # When the page was written, at the end of the run (UTC).
  data_root: str
  settings: payloads.TrainerSettings
  log_path: str  # '' when the run kept no log file of its own (Kubeflow: each step's pod log).


def build(record: run_record.RunRecord, gate: Gate, about: About, model_uri: str,
          history: payloads.TrainingHistory, splits: Dict[str, facts_lib.SplitData],
          anomalies: Dict[str, List[str]], predictions: facts_lib.Predictions) -> str:
  """The whole page, top to bottom in the order a reader asks: verdict, training, test, data."""
  wrong = predictions.wrong()
  shown = wrong[:MAX_MISCLASSIFIED_SHOWN]
  accuracy = record.overall_accuracy if record.overall_accuracy is not None else float('nan')
  labels = record.label_check
  parts = [
      '<!doctype html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      '<title>mnist-tfx run report</title>', f'<style>{_STYLE}</style>', '</head>',
      f'<body><main data-accuracy="{accuracy!r}" data-test-digits="{len(predictions.labels)}" '
      f'data-misclassified="{len(wrong)}" data-misclassified-shown="{len(shown)}">',
      '<h1>mnist-tfx run report</h1>',
      *_about(about, gate),
      f'<p class="muted">Candidate model: {_e(model_uri)}</p>',
  ]
  parts += _decision(record, gate)
  parts += _training(history.curves, record.training_start, labels.version if labels else '')
  parts += _test(record, gate, predictions, wrong, shown)
  parts += _data(splits, anomalies, labels)
  parts += ['</main>', '</body>', '</html>']
  return '\n'.join(parts) + '\n'


def _about(about: About, gate: Gate) -> List[str]:
  settings = about.settings
  epochs = f'{settings.epochs}' if settings.epochs else "the recipe's own"
  seed = f'{settings.seed}' if settings.seed is not None else 'drawn at random'
  log = (f'<code>{_e(about.log_path)}</code>' if about.log_path
         else 'each step\'s own (no log file of the run)')
  return [
      f'<p id="run">Run of {about.written:%Y-%m-%d %H:%M:%S} UTC (when this page was written, '
      f'at its end). Data: <code>{_e(about.data_root)}</code>. Log: {log}.</p>',
      '<p id="options" class="muted">Options: recipe '
      f'{_e(settings.recipe or "the default")}, epochs {_e(epochs)}, seed {_e(seed)}, '
      f'precision {_e(settings.precision or "float32")}'
      f'{", cold start" if settings.cold_start else ""}; gate: overall &ge; '
      f'{gate.accuracy_threshold:g}, each digit &ge; {gate.digit_accuracy_floor:g}, at most '
      f'{gate.max_regression:g} below the served model. Code fingerprint: '
      f'{_e(settings.cache_key or "not recorded (a run without the cache)")}.</p>']


def _decision(record: run_record.RunRecord, gate: Gate) -> List[str]:
  accuracy = record.overall_accuracy
  baseline = record.baseline_accuracy
  served_version = record.served_version or ''
  worst = record.worst_digit()
  verdict = ('<span class="yes">blessed</span>' if record.blessed
             else '<span class="no">not blessed</span>')
  rows = [_row('overall accuracy', f'&ge; {gate.accuracy_threshold:g}', _number(accuracy),
               accuracy is not None and accuracy >= gate.accuracy_threshold)]
  if worst is not None:
    rows.append(_row('each digit', f'&ge; {gate.digit_accuracy_floor:g}',
                     f'worst: digit {worst[0]} at {worst[1]:.4f}',
                     worst[1] >= gate.digit_accuracy_floor))
  if served_version and baseline is not None:
    floor = baseline - gate.max_regression
    rows.append(_row(f'against the served model (version {_e(served_version)}: '
                     f'{baseline:.4f})',
                     f'at most {gate.max_regression:g} below it',
                     _number(accuracy), accuracy is not None and accuracy >= floor))
  elif record.served_problem:
    rows.append('<tr><td>against the served model</td><td colspan="3">version '
                f'{_e(served_version)} is damaged ({_e(record.served_problem)}): '
                'the thresholds alone decide</td></tr>')
  else:
    rows.append('<tr><td>against the served model</td><td colspan="3">no model served yet: '
                'the thresholds alone decide</td></tr>')
  pushed = (f'Pushed as version {_e(record.pushed_version)} to '
            f'<code>{_e(record.pushed_to)}</code>.' if record.pushed_version
            else 'Nothing was pushed: the served model stays.')
  if record.canary_failure:
    pushed = ('<span class="no">Blessed, but not published</span>: the staged copy failed the '
              f'canary ({_e(record.canary_failure)}). The served model stays.')
  elif record.canary_latency_ms is not None:
    pushed += (' The staged copy passed the canary first: loaded in a fresh process, every '
               "signature answered the test digits as the trained model does, one digit in "
               f'{record.canary_latency_ms:.1f} ms.')
  return ['<section id="decision">', f'<h2>Decision: {verdict}</h2>',
          '<div class="scroll"><table>',
          '<tr><th>gate</th><th>threshold</th><th>candidate</th><th>passes</th></tr>',
          *rows, '</table></div>', f'<p>{pushed}</p>', '</section>']


def _training(history: Dict[str, List[float]], start: Optional[payloads.TrainingStart],
              served_version: str) -> List[str]:
  """served_version: the model served when the data arrived, which LabelCheck read and a
  warm start started from."""
  parts = ['<section id="training">', '<h2>Training</h2>']
  if start:
    epochs = start.epochs
    schedule = f'{epochs} epoch{"s" if epochs != 1 else ""} of the {_e(start.recipe)} recipe'
    parts.append(
        f'<p id="start">Started from the weights of version {_e(served_version)}, the model '
        f'served when the data arrived (a warm start): {schedule}.</p>' if start.warm else
        f'<p id="start">Started from random weights ({_e(start.why_cold)}): {schedule}.</p>')
  if not history:
    return parts + ['<p class="muted">No per-epoch history: this model was trained by a '
                    f'Trainer that did not write {contracts.File.HISTORY}.</p>', '</section>']
  parts.append('<div class="grid">')
  for name, title in (('loss', 'loss (cross-entropy)'), ('accuracy', 'accuracy')):
    if name in history:
      parts.append(_figure(name, figures.curve(history, name, title),
                           f'{title.capitalize()} per epoch, on the training and the '
                           'evaluation data.'))
  rates = history.get(payloads.TrainingHistory.LEARNING_RATE)
  if rates is not None:
    parts.append(_figure('learning-rate', figures.learning_rate(rates),
                         'The learning rate of each epoch, as the Trainer set it: from '
                         f'{rates[0]:.3g} to {rates[-1]:.3g}.'))
  return parts + ['</div>', '</section>']


def _test(record: run_record.RunRecord, gate: Gate, predictions: facts_lib.Predictions,
          wrong: np.ndarray, shown: np.ndarray) -> List[str]:
  total = len(predictions.labels)
  accuracy = record.overall_accuracy
  parts = ['<section id="test">', '<h2>Test digits</h2>',
           f'<p>Accuracy on the {total:,} test digits (the Evaluator\'s): '
           f'<b>{_number(accuracy)}</b>; {len(wrong):,} misclassified.</p>',
           *_span_tests(record.span_tests, accuracy),
           '<div class="grid">']
  if record.digit_accuracy and accuracy is not None:
    parts.append(_figure('digit-accuracy', figures.digit_accuracy(
        record.digit_accuracy, accuracy, gate.accuracy_threshold, gate.digit_accuracy_floor),
        'Accuracy per digit; dashed: the overall threshold, dotted red: the per-digit floor.'))
  parts.append(_figure('confusion', figures.confusion(predictions.confusion()),
                       'Rows: the true digit; columns: the model\'s. Off the diagonal, in red: '
                       'the mistakes.'))
  parts.append('</div>')
  parts.append('<h3 id="misclassified">Misclassified test digits</h3>')
  if not len(wrong):
    parts.append('<p>None.</p>')
  else:
    note = (f'all {len(wrong)}' if len(shown) == len(wrong)
            else f'the first {len(shown)} of {len(wrong):,}')
    parts.append(_figure('misclassified', figures.misclassified(
        predictions.images[shown], predictions.labels[shown], predictions.predicted[shown]),
        f'{note}, each titled true &rarr; predicted.'))
  return parts + ['</section>']


def _span_tests(span_tests: Optional[List[payloads.SpanTest]],
                accuracy: Optional[float]) -> List[str]:
  """SpanTest: the candidate on each trained span's own test digits, beside the fixed set's."""
  if span_tests is None:
    return []
  if not span_tests:
    return ['<p id="span-tests">The spans trained on carry no test digits of their own.</p>']
  rows = []
  for found in span_tests:
    per_digit = found.per_digit
    confusions = ', '.join(f'{c.true} read as {c.predicted}: {c.count}'
                           for c in found.confusions) or 'none'
    rows.append(
        f'<tr data-span="{found.span}" data-accuracy="{found.accuracy!r}">'
        f'<td>span {found.span}</td><td>{found.digits:,}</td>'
        f'<td>{_number(found.accuracy)}</td><td>{_number(accuracy)}</td>' +
        ''.join(f'<td>{_number(per_digit.get(str(d)))}</td>' for d in range(10)) +
        f'<td class="left">{_e(confusions)}</td></tr>')
  return ['<p id="span-tests">Each trained span\'s own test digits, read by the same model. '
          'Not a gate: only the fixed set above compares models, run after run. A span\'s own '
          'digits come from the same source as its training labels and vary in size and '
          'difficulty; far from the fixed set\'s accuracy, they say the new data differs.</p>',
          '<div class="scroll"><table><tr><th>span</th><th>test digits</th><th>accuracy</th>'
          '<th>fixed set</th>' + ''.join(f'<th>{d}</th>' for d in range(10)) +
          '<th class="left">most frequent mistakes (true read as predicted)</th></tr>',
          *rows, '</table></div>']


def _data(splits: Dict[str, facts_lib.SplitData], anomalies: Dict[str, List[str]],
          labels: Optional[payloads.LabelCheckResult]) -> List[str]:
  parts = ['<section id="data">', '<h2>Data</h2>', '<div class="scroll"><table>',
           '<tr><th>split</th><th>examples</th>' +
           ''.join(f'<th>{d}</th>' for d in range(10)) + '</tr>']
  for split, data in splits.items():
    parts.append(f'<tr><td>{_e(split)}</td><td>{data.examples:,}</td>' +
                 ''.join(f'<td>{int(n):,}</td>' for n in data.per_digit) + '</tr>')
  parts += ['</table></div>', '<p class="muted">Examples per split and per digit '
            '(train: the newest spans; eval: the fixed test set; previous: the spans '
            'the last run trained on, for the drift check; then each trained span\'s own test '
            'digits, if it has some).</p>',
            '<div class="scroll"><table>',
            '<tr><th>split</th><th>pixel mean</th><th>std. dev.</th><th>min</th><th>max</th>'
            '<th>zeros</th></tr>']
  for split, data in splits.items():
    parts.append(f'<tr><td>{_e(split)}</td><td>{data.pixel_mean:.2f}</td>'
                 f'<td>{data.pixel_std:.2f}</td><td>{data.pixel_min:g}</td>'
                 f'<td>{data.pixel_max:g}</td><td>{data.zero_share:.1%}</td></tr>')
  parts.append('</table></div>')
  parts.append('<div class="grid">')
  parts.append(_figure('label-shares', figures.label_shares(
      {split: data.per_digit for split, data in splits.items()}),
      'Each digit\'s share of its split.'))
  parts.append('</div>')
  found = [(split, problem) for split, problems in anomalies.items() for problem in problems]
  if found:
    parts.append('<p class="no">Anomalies against the schema:</p><ul>' + ''.join(
        f'<li>{_e(split)}: {_e(problem)}</li>' for split, problem in found) + '</ul>')
  else:
    parts.append(f'<p>Anomalies against the schema: none (splits checked: '
                 f'{_e(", ".join(anomalies) or "none")}).</p>')
  return parts + _labels(labels) + ['</section>']


def _labels(labels: Optional[payloads.LabelCheckResult]) -> List[str]:
  """LabelCheck: how often the served model agrees with the training labels, per digit."""
  if not labels:
    return []
  if labels.skipped:
    return [f'<p id="label-check">Labels: not checked ({_e(labels.skipped)}).</p>']
  pairs = ', '.join(f'{pair.read} labelled as {pair.label}: {pair.count}'
                    for pair in labels.disagreements[:3]) or 'none'
  return [
      f'<p id="label-check">Labels: the served model (version {_e(labels.version)}) '
      f'agrees with {labels.agreement:.4f} of the {labels.digits:,} training labels, '
      f'against its test accuracy of {labels.expected:.4f} (the run stops below '
      f'{labels.floor():.4f}). Most frequent disagreements: '
      f'{_e(pairs)}.</p>',
      '<div class="scroll"><table><tr><th>label</th>' +
      ''.join(f'<th>{d}</th>' for d in sorted(labels.per_digit)) + '</tr>',
      '<tr><td>agreement</td>' + ''.join(
          f'<td>{labels.per_digit[d]:.4f}</td>' for d in sorted(labels.per_digit))
      + '</tr></table></div>']


def _figure(name: str, png: bytes, caption: str) -> str:
  data = base64.b64encode(png).decode('ascii')
  return (f'<figure id="figure-{name}"><img src="data:image/png;base64,{data}" '
          f'alt="{_e(name)}"><figcaption>{caption}</figcaption></figure>')


def _row(gate: str, threshold: str, value: str, passes: bool) -> str:
  word = '<span class="yes">yes</span>' if passes else '<span class="no">no</span>'
  return f'<tr><td>{gate}</td><td>{threshold}</td><td>{value}</td><td>{word}</td></tr>'


def _number(value: Optional[float]) -> str:
  return '&ndash;' if value is None else f'{value:.4f}'


def _e(text: str) -> str:
  return html.escape(str(text))
