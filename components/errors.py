"""DataError: the one exception type for bad input data."""


class DataError(Exception):
  """Bad input data: carries the file and the problem, for a one-line message.

  The command line turns it into `error: bad input data: <file>: <problem>` and
  exit status 2; any other exception is a bug and keeps its traceback.
  """

  def __init__(self, path: str, problem: str):
    super().__init__(f'{path}: {problem}')
    self.path = path
    self.problem = problem
