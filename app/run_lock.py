"""One writer per output folder: a run (or a rollback) holds an exclusive lock on it.

Two runs on the same folder would write one ML Metadata store and one serving
directory at once. The lock is flock(2) on a file in the folder: the kernel drops it
when its holder exits, even by SIGKILL, so a crashed run never leaves it stuck.
"""

import contextlib
import fcntl
import os
import time

LOCK_FILE = '.run.lock'


class Busy(Exception):
  """Another process holds the output folder."""


@contextlib.contextmanager
def hold(output_dir: str):
  """Holds `output_dir` for the block; raises Busy at once if another process holds it.

  An object store (gs://, `rollback` on the cluster's bucket) takes no lock: flock needs a
  local file, and a local folder named after the bucket would keep out no one.
  kubeflow/README.md says to roll back while no run is pushing.
  """
  if '://' in output_dir:
    yield
    return
  os.makedirs(output_dir, exist_ok=True)
  path = os.path.join(output_dir, LOCK_FILE)
  with open(path, 'a+') as lock:
    try:
      fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      lock.seek(0)
      holder = lock.read().strip() or 'another process'
      raise Busy(f'{output_dir} is in use by {holder}; wait for it to finish, '
                 'or give this run its own --output-dir') from None
    lock.seek(0)
    lock.truncate()
    lock.write(f'pid {os.getpid()} (since {time.strftime("%Y-%m-%d %H:%M:%S")})')
    lock.flush()
    try:
      yield
    finally:
      lock.truncate(0)
      fcntl.flock(lock, fcntl.LOCK_UN)
