"""What each option allows, declared beside it and checked before anything runs.

A value that parses but cannot work (`--epochs -3`, `--accuracy-threshold 1.5`) would
otherwise show up after TFX has loaded and components have run, or never: a gate no
model can pass trains in vain. Each kind says in words what it allows, for the one
line that refuses a value.
"""

import dataclasses
import math
import re
from typing import Callable, Optional

from mnist_tfx.lib.errors import OptionError


@dataclasses.dataclass(frozen=True)
class Allowed:
  """The values an option takes: a test, and the words that say it to the user."""
  text: str
  admits: Callable[[object], bool]

  def check(self, option: str, value) -> None:
    """Raises OptionError unless value is allowed; None is an option left unset."""
    if value is not None and not self.admits(value):
      raise OptionError(option, value, self.text)


def whole(least: int, most: Optional[int] = None, note: str = '') -> Allowed:
  """A whole number from least (to most)."""
  span = f'from {least} to {most}' if most is not None else f'of at least {least}'
  return Allowed(
      _with_note(f'must be a whole number {span}', note),
      lambda v: _is_int(v) and v >= least and (most is None or v <= most))


def number(low: float, high: float, note: str = '') -> Allowed:
  """A number from low to high, both included."""
  return Allowed(_with_note(f'must be a number from {low:g} to {high:g}', note),
                 lambda v: _is_number(v) and low <= v <= high)


def more_than(low: float, unit: str = '') -> Allowed:
  """A finite number above low: a size or a time, which 0 would make meaningless."""
  return Allowed(f'must be a number more than {low:g}{" " + unit if unit else ""}',
                 lambda v: _is_number(v) and math.isfinite(v) and v > low)


def matching(pattern: str, text: str, longest: int = 0) -> Allowed:
  """Text that matches pattern whole (and is at most `longest` characters)."""
  compiled = re.compile(pattern)
  return Allowed(text, lambda v: isinstance(v, str) and bool(compiled.fullmatch(v)) and
                 (not longest or len(v) <= longest))


def ending(suffix: str, why: str) -> Allowed:
  return Allowed(f'must end in {suffix} ({why})',
                 lambda v: isinstance(v, str) and len(v) > len(suffix) and v.endswith(suffix))


# Kubernetes names (apimachinery's validation): a namespace or most object names are a
# DNS-1123 label, a service account name a DNS-1123 subdomain, a Service name a DNS-1035
# label (a letter first).
DNS_1123_LABEL = r'[a-z0-9]([-a-z0-9]*[a-z0-9])?'
DNS_1123_SUBDOMAIN = rf'{DNS_1123_LABEL}(\.{DNS_1123_LABEL})*'
DNS_1035_LABEL = r'[a-z]([-a-z0-9]*[a-z0-9])?'


def flag(name: str) -> str:
  """A configuration field's flag: epochs -> --epochs."""
  return '--' + name.replace('_', '-')


def _with_note(text: str, note: str) -> str:
  return f'{text} ({note})' if note else text


def _is_int(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
  return (_is_int(value) or isinstance(value, float)) and not math.isnan(value)
