"""Leaving a process that has imported TensorFlow, without the interpreter's teardown.

Once TensorFlow (and with TFX, Beam and TFMA) is imported, Python's own exit
spends seconds freeing modules and running C++ destructors after the work is done:
15 s after an all-cached `mnist-pipeline run` on a busy 2-core machine, 3 s after
the canary. Nothing is written then, and TensorFlow has been reported to abort in it
("pure virtual method called", sky-uk/kfp-operator, TFX 1.17). Every command, the
canary and the Kubeflow step leave through exit_now() instead.
"""

import atexit
import os
import sys
from typing import NoReturn


def exit_now(status: int) -> NoReturn:
  """Runs Python's exit handlers (logging flushes its files), flushes stdout and stderr,
  then ends the process with `status` at once.

  os._exit also skips joining non-daemon threads: call it only once the work is done,
  when whatever such a thread still does is no part of the result.
  """
  atexit._run_exitfuncs()  # pylint: disable=protected-access
  for stream in (sys.stdout, sys.stderr):
    try:
      stream.flush()
    except (OSError, ValueError):  # Closed, or a pipe whose reader has gone.
      pass
  os._exit(status)  # pylint: disable=protected-access
