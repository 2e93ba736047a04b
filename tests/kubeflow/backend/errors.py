"""The stand-in's own failures: what the backend reports, as opposed to what a step prints."""


class BackendError(Exception):
  """An error of the driver or the launcher, worded as the backend words it."""
