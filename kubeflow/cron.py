"""The cron expressions Kubeflow Pipelines accepts for a recurring run, checked here first.

Written from the backend's parser: the API server refuses a recurring run whose cron
robfig/cron v1.2.0's Parse rejects (backend/src/apiserver/server/api_converter.go;
go.mod pins v1.2.0), and Parse (parser.go, spec.go) reads:

- six fields, seconds first: second 0-59, minute 0-59, hour 0-23, day of month 1-31,
  month 1-12 or jan-dec, day of week 0-6 or sun-sat. Each field is a comma-separated
  list of `*`, `?`, N or N-M, each optionally /STEP (STEP > 0; N/STEP runs from N to
  the field's end);
- or a descriptor: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly,
  or @every DURATION (Go's time.ParseDuration: 1h30m, 90s, ...).

Parse also takes five fields (the day of week left out), but reads them seconds first:
a Unix cron line such as `0 3 * * 1` would run at minute 3 of every hour in January. kfp's
Client.create_recurring_run documents six fields; here five are refused, saying why.
"""

import re
from typing import Optional

from mnist_tfx.lib.errors import OptionError

# (name, lowest, highest, names for values) of each field, in order (robfig/cron spec.go).
_FIELDS = (
    ('second', 0, 59, {}),
    ('minute', 0, 59, {}),
    ('hour', 0, 23, {}),
    ('day of month', 1, 31, {}),
    ('month', 1, 12, {name: n + 1 for n, name in enumerate(
        ('jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'))}),
    ('day of week', 0, 6, {name: n for n, name in enumerate(
        ('sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'))}),
)
DESCRIPTORS = ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly')
# Go's time.ParseDuration, without the sign: a negative or zero interval runs every second.
_GO_DURATION = re.compile(r'([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)'
                          r'(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*')
ALLOWED = ('must be 6 cron fields, seconds first ("0 0 3 * * 1": Mondays at 03:00), or '
           '@daily, @weekly, @every 24h, ...')


def check(expression: str, option: str = '--cron') -> None:
  """Raises OptionError unless Kubeflow Pipelines' backend takes the expression, and
  reads it as written (six fields)."""
  problem = _problem(expression)
  if problem is not None:
    raise OptionError(option, expression, f'{problem}; {ALLOWED}')


def _problem(expression: str) -> Optional[str]:
  if expression.startswith('@'):
    if expression in DESCRIPTORS:
      return None
    if expression.startswith('@every ') and _GO_DURATION.fullmatch(expression[len('@every '):]):
      return None
    return 'not a descriptor the backend knows'
  fields = expression.split()
  if len(fields) == 5:
    return ('has 5 fields: Kubeflow Pipelines would read the first as seconds, not minutes '
            '(put a 0 in front)')
  if len(fields) != 6:
    return f'has {len(fields)} field{"" if len(fields) == 1 else "s"}, not 6'
  for text, (name, lowest, highest, names) in zip(fields, _FIELDS):
    problem = _field_problem(text, lowest, highest, names)
    if problem is not None:
      return f'{name} {text!r}: {problem}, {name} runs {lowest}-{highest}'
  return None


def _field_problem(text: str, lowest: int, highest: int, names: dict) -> Optional[str]:
  """What robfig/cron's getField would refuse in one field (parser.go, getRange)."""
  ranges = [part for part in text.split(',') if part]
  if not ranges:
    return 'no value'  # The backend takes it, and the run would never start.
  for part in ranges:
    range_and_step = part.split('/')
    if len(range_and_step) > 2:
      return 'too many slashes'
    low_and_high = range_and_step[0].split('-')
    if low_and_high[0] in ('*', '?'):
      start, end = lowest, highest
    else:
      if len(low_and_high) > 2:
        return 'too many hyphens'
      values = [_value(v, names) for v in low_and_high]
      if None in values:
        return 'not a number' + (' or a name' if names else '')
      start, end = values[0], values[-1]
    if len(range_and_step) == 2:
      step = _value(range_and_step[1], {})
      if not step:
        return 'the step must be a number more than 0'
      if len(low_and_high) == 1:
        end = highest  # N/STEP: from N to the end.
    if start < lowest or end > highest:
      return 'out of range'
    if start > end:
      return 'a range must not end before it begins'
  return None


def _value(text: str, names: dict) -> Optional[int]:
  """A number (Go's strconv.Atoi, not negative) or a name, as parseIntOrName reads it."""
  if text.lower() in names:
    return names[text.lower()]
  if re.fullmatch(r'\+?[0-9]+', text):
    return int(text)
  return None
