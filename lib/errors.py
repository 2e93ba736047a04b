"""The exceptions that mean "the user's input", not a bug.

The command line turns each into one line and an exit status; any other
exception is a bug and keeps its traceback (in the run's log).
"""


class DataError(Exception):
  """Bad input data: carries the file and the problem, for a one-line message.

  The command line prints `error: bad input data: <file>: <problem>`, exit status 2.
  """

  def __init__(self, path: str, problem: str):
    super().__init__(f'{path}: {problem}')
    self.path = path
    self.problem = problem


class UsageError(Exception):
  """What was asked cannot be done in the state found (no model pushed yet, an unknown
  version, an output folder that cannot be written). The command line prints
  `error: <message>`, exit status 1."""


class OptionError(Exception):
  """An option's value outside what it allows, found before anything runs. The command line
  prints `error: <option> <value>: <what is allowed>`, exit status 2."""

  def __init__(self, option: str, value, allowed: str):
    super().__init__(f'{option} {value!r}: {allowed}')
    self.option = option
    self.value = value
    self.allowed = allowed
