"""The end-of-run summary: what pipeline/run_reader.py read back, as the terminal shows it."""

from typing import List, Optional

from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.pipeline import configs
from mnist_tfx.lib.run_record import RunRecord


def gate(config: configs.PipelineConfig) -> str:
  """The gate's thresholds in words."""
  return (f'overall >= {config.accuracy_threshold}, each digit >= '
          f'{config.digit_accuracy_floor}, at most {config.max_regression} below the served model')


def format_summary(record: Optional[RunRecord], wall_seconds: float,
                   config: configs.PipelineConfig) -> str:
  """A table of components, then the outcome: accuracy, blessing and where the model went.

  record: this run's, or None if ML Metadata holds nothing of it.
  """
  record = record or RunRecord()
  lines = ['', f'{"component":<18}{"status":<9}{"seconds":>8}']
  for name, status, seconds in record.components:
    lines.append(f'{name:<18}{status:<9}{seconds:>8.1f}')
  lines.append(f'{"wall time":<27}{wall_seconds:>8.1f}')
  lines.append('')
  return '\n'.join(lines) + '\n' + outcome(record, config)


def outcome(record: RunRecord, config: configs.PipelineConfig) -> str:
  """The summary's lines after the table: accuracy, blessing, where the model went."""
  lines = []
  if record.train_spans:
    lines.append(f'train spans:   {", ".join(map(str, record.train_spans))}')
  if record.overall_accuracy is not None:
    lines.append(f'test accuracy: {record.overall_accuracy:.4f}' + (
        f' (served model: {record.baseline_accuracy:.4f})'
        if record.baseline_accuracy is not None else ''))
    lines.append('per digit:     ' + '  '.join(
        f'{digit}: {value:.4f}' for digit, value in sorted(record.digit_accuracy.items())))
  lines += _span_tests(record)
  labels = record.label_check  # None when LabelCheck did not complete.
  if labels and labels.skipped:
    lines.append(f'labels:        not checked: {labels.skipped}')
  elif labels:
    lines.append(f'labels:        {labels.agreement:.4f} agree with the served model (version '
                 f'{labels.version}, {labels.expected:.4f} on the test digits; '
                 f'the run stops below {labels.floor():.4f})')
  if record.training_start:
    lines.append('start:         ' + start(record))
  if record.served_problem:
    lines.append(f'served model:  DAMAGED, not trusted as the baseline ({record.served_problem}); '
                 'the absolute gate alone decided')
  if record.blessed is not None:
    lines.append(f'blessed:       {"yes" if record.blessed else "no"} (gate: {gate(config)})')
  if record.canary_failure:
    lines.append(f'canary:        FAILED, the version was not published: {record.canary_failure}')
  elif record.canary_seconds is not None:
    lines.append(f'canary:        passed in {record.canary_seconds:.1f} s (loaded in a fresh '
                 f'process, answers as trained, one digit in {record.canary_latency_ms:.1f} ms)')
  lines.append(f'pushed to:     {record.pushed_to or "nothing pushed"}')
  if record.report_page:
    lines.append(f'run report:    {record.report_page}')
  if record.all_cached():
    lines.append('nothing changed since an earlier run (every component cached): '
                 'nothing new pushed, the served model stays')
  elif record.pushed_to and record.state(ComponentId.PUSHER) == 'cached':
    lines.append('               (by an earlier run: nothing changed, nothing new pushed)')
  return '\n'.join(lines) + '\n'


def _span_tests(record: RunRecord) -> List[str]:
  """SpanTest's figures beside the fixed set's, one line per span; none if it did not run."""
  if record.span_tests is None:
    return []
  if not record.span_tests:
    return ['span tests:    none: the trained spans carry no test digits of their own']
  fixed = (f' (fixed set {record.overall_accuracy:.4f})'
           if record.overall_accuracy is not None else '')
  lines = []
  for found in record.span_tests:
    figure = (f'{found.accuracy:.4f} on its own {found.digits} test digits{fixed}'
              if found.accuracy is not None else 'its own t10k-* pair holds no digits')
    lines.append(f'{"" if lines else "span tests:":<15}span {found.span}: {figure}; '
                 'not a gate')
  return lines


def start(record: RunRecord) -> str:
  """How training started, in words: warm from which version, or cold and why."""
  epochs = record.training_start.epochs
  schedule = (f'{epochs} epoch{"s" if epochs != 1 else ""} of the '
              f'{record.training_start.recipe} recipe')
  if record.training_start.warm:
    return (f'warm, from the weights of version {record.starting_version} (served when the data '
            f'arrived): {schedule}')
  why = record.training_start.why_cold
  if record.starting_problem:  # The Trainer saw no copy; StartingModel knows why.
    why = f'served version {record.starting_version} was damaged ({record.starting_problem})'
  return f'from random weights ({why}): {schedule}'
