"""mnist-pipeline history: past runs, and the lineage of a pushed version, as text.

`runs` is one line per run: when, which spans it trained on, how often the served
model agreed with their labels (LabelCheck; `wrong` when that stopped the run), whether
training started from the served model's weights (`warm`) or from random ones (`cold`),
accuracy (overall and the worst digit), the accuracy on the trained spans' own test
digits (SpanTest; all of them together when several spans carry some; `-` when none
does), blessed or not, the version pushed. A rollback is a line of its own, when it was
made, with the figures of the version it copies. `*` marks the version served now.
`lineage` follows a pushed version back to the spans and files (with SHA-256) it
was trained on; paths inside the output folder are relative to it.
Both format what pipeline/run_reader.py reads, and the serving directory's versions.
"""

import datetime
import os
from typing import List, Optional, Tuple

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
  served = serving_dir_lib.latest_version(config.serving_dir)
  rows = [(record.started, _run_line(record, served)) for record in records]
  for version, source in _rollbacks(config.serving_dir):
    copied = next((r for r in records if r.pushed_version == source and not _cached(r)), None)
    rows.append((serving_dir_lib.published_at(version),
                 _rollback_line(version, source, copied, served)))
  rows.sort(key=lambda row: row[0])  # Stable: runs keep their order.
  header = (f'{"started (UTC)":<20}{"spans":<9}{"labels":>8}{"start":>6}{"accuracy":>9}'
            f'{"span test":>10}{"worst digit":>15}  {"blessed":<9}pushed (*: served now)')
  return '\n'.join([header] + [line for _, line in rows]) + '\n'


def _run_line(record: run_record.RunRecord, served: Optional[str]) -> str:
  if record.blessed is None:
    blessed = 'stopped' if record.data_error else '-'
  else:
    blessed = 'yes' if record.blessed else 'no'
  pushed = _pushed(record)
  if record.pushed_version == served and not _cached(record):
    pushed = '*' + pushed
  return (f'{_time(record.started):<20}{",".join(map(str, record.train_spans)) or "-":<9}'
          f'{_labels(record):>8}{_start(record):>6}{_number(record.overall_accuracy):>9}'
          f'{_span_test(record):>10}{_worst(record):>15}  {blessed:<9}{pushed}')


def _rollback_line(version: str, source: str, copied: Optional[run_record.RunRecord],
                   served: Optional[str]) -> str:
  """A rollback: when it was made, and the figures of the run that pushed the version it
  copies (`-` if none is recorded)."""
  accuracy = _number(copied.overall_accuracy) if copied else '-'
  worst = _worst(copied) if copied else '-'
  mark = '*' if version == served else ''
  return (f'{_time(serving_dir_lib.published_at(version)):<20}{"-":<9}{"-":>8}{"-":>6}'
          f'{accuracy:>9}{"-":>10}{worst:>15}  {"rollback":<9}'
          f'{mark}{version} (a copy of {source})')


def _rollbacks(serving_dir: str) -> List[Tuple[str, str]]:
  """(version, the version it copies) of each rollback in the serving directory."""
  found = []
  for version in serving_dir_lib.versions(serving_dir):
    source = serving_dir_lib.rolled_back_from(serving_dir, version)
    if source is not None:
      found.append((version, source))
  return found


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
      f'version {version}: pushed {_time(found.pushed_at)} to {_here(config, found.destination)}',
      f'  model:           {_here(config, found.model_uri)}',
      f'  trained by:      Trainer execution {found.trainer_execution}, '
      f'{_time(found.trained_at)}',
      f'  transform graph: {_here(config, found.transform_graph_uri)} '
      f'(Transform execution {found.transform_execution})',
      f'  examples:        {_here(config, found.examples_uri)} (span {found.newest_span} newest)',
  ]
  width = max(9, *(len(split) + 1 for split in found.spans))
  for split, parts in found.spans.items():
    for part in parts:
      label = f'span {part["span"]}' if part['span'] is not None else 'fixed set'
      for path, digest in part['files'].items():
        lines.append(f'    {split:<{width}}{label:<10}{path}  sha256 {digest}')
  return '\n'.join(lines) + '\n'


def _here(config: configs.PipelineConfig, path: str) -> str:
  """A path of the lineage (relative to the output folder), noted when this folder lacks it."""
  return path if os.path.exists(os.path.join(config.output_dir, path)) else (
      f'{path} (not in {config.output_dir})')


def _worst(record: run_record.RunRecord) -> str:
  worst = record.worst_digit()
  return f'{worst[0]}: {worst[1]:.4f}' if worst else '-'


def _cached(record: run_record.RunRecord) -> bool:
  """The run's Pusher was cached: the version it names was pushed by an earlier run."""
  return record.state(ComponentId.PUSHER) == 'cached'


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
  return record.pushed_version + (' (by an earlier run)' if _cached(record) else '')


def _number(value) -> str:
  return '-' if value is None else f'{value:.4f}'


def _time(seconds: float) -> str:
  return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
      '%Y-%m-%d %H:%M:%S')
