"""mnist-pipeline history: past runs, and the lineage of a pushed version, as text.

`runs` is one line per run: when, which spans it trained on, how often the served
model agreed with their labels (LabelCheck; `wrong` when that stopped the run), whether
training started from the served model's weights (`warm`) or from random ones (`cold`),
accuracy (overall and the worst digit), the accuracy on the trained spans' own test
digits (SpanTest; all of them together when several spans carry some; `-` when none
does), blessed or not, the version pushed.
`lineage` follows a pushed version back to the spans and files (with SHA-256) it
was trained on.
Both format what pipeline/run_reader.py reads.
"""

import datetime

from mnist_tfx.lib import serving_dir as serving_dir_lib
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.lib.errors import UsageError
from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import run_reader
from mnist_tfx.lib import run_record


def runs(config: configs.PipelineConfig) -> str:
  records = run_reader.all_runs(config.metadata_path)
  if records is None:
    return f'No runs yet: {config.metadata_path} does not exist.\n'
  lines = [f'{"started (UTC)":<20}{"spans":<9}{"labels":>8}{"start":>6}{"accuracy":>9}'
           f'{"span test":>10}{"worst digit":>15}  {"blessed":<9}pushed']
  for record in records:
    worst = (min(record.digit_accuracy.items(), key=lambda item: item[1])
             if record.digit_accuracy else None)
    if record.blessed is None:
      blessed = 'stopped' if record.data_error else '-'
    else:
      blessed = 'yes' if record.blessed else 'no'
    lines.append(
        f'{_time(record.started):<20}{",".join(map(str, record.train_spans)) or "-":<9}'
        f'{_labels(record):>8}{_start(record):>6}{_number(record.overall_accuracy):>9}'
        f'{_span_test(record):>10}'
        f'{(f"{worst[0]}: {worst[1]:.4f}" if worst else "-"):>15}  '
        f'{blessed:<9}{_pushed(record)}')
  return '\n'.join(lines) + '\n'


def lineage(config: configs.PipelineConfig, version: str) -> str:
  """Where a served version came from; raises UsageError for an unknown version."""
  lines = []
  source = serving_dir_lib.rolled_back_from(config.serving_dir, version)
  if source is not None:
    lines.append(f'version {version} is a rollback copy of version {source}')
    version = source
  found = run_reader.lineage(config.metadata_path, version)
  if found is None:
    raise UsageError(f'no pushed version {version} in {config.metadata_path}')
  lines += [
      f'version {version}: pushed {_time(found.pushed_at)} to {found.destination}',
      f'  model:           {found.model_uri}',
      f'  trained by:      Trainer execution {found.trainer_execution}, '
      f'{_time(found.trained_at)}',
      f'  transform graph: {found.transform_graph_uri} '
      f'(Transform execution {found.transform_execution})',
      f'  examples:        {found.examples_uri} (span {found.newest_span} newest)',
  ]
  width = max(9, *(len(split) + 1 for split in found.spans))
  for split, parts in found.spans.items():
    for part in parts:
      label = f'span {part["span"]}' if part['span'] is not None else 'fixed set'
      for path, digest in part['files'].items():
        lines.append(f'    {split:<{width}}{label:<10}{path}  sha256 {digest}')
  return '\n'.join(lines) + '\n'


def _start(record: run_record.RunRecord) -> str:
  if not record.training_start:
    return '-'
  return 'warm' if record.training_start.warm else 'cold'


def _labels(record: run_record.RunRecord) -> str:
  """The served model's agreement with the training labels; `wrong` if it stopped the run."""
  if record.labels_stopped:
    return 'wrong'
  return _number(record.label_check.agreement if record.label_check else None)


def _span_test(record: run_record.RunRecord) -> str:
  """The candidate's accuracy on the trained spans' own test digits, all spans together."""
  digits = sum(found.digits for found in record.span_tests or [])
  if not digits:
    return '-'
  return _number(sum(found.accuracy * found.digits
                     for found in record.span_tests if found.digits) / digits)


def _pushed(record: run_record.RunRecord) -> str:
  if not record.pushed_version:
    return '-'
  cached = record.state(ComponentId.PUSHER) == 'cached'
  return record.pushed_version + (' (by an earlier run)' if cached else '')


def _number(value) -> str:
  return '-' if value is None else f'{value:.4f}'


def _time(seconds: float) -> str:
  return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
      '%Y-%m-%d %H:%M:%S')
