"""Folders shared by tests: made once per session for every xdist worker, and compared by content."""

import fcntl
import hashlib
import json
import os


def once(tmp_path_factory, name: str, make):
  """(folder, what make(folder) returned), made once per test session whatever the
  number of xdist workers.

  The first worker to get here makes it under a lock, in the session's shared folder;
  the others wait for it and read what make returned (kept as JSON).
  """
  base = tmp_path_factory.getbasetemp()
  shared = base.parent if os.environ.get('PYTEST_XDIST_WORKER') else base
  folder, done = shared / name, shared / f'{name}.json'
  with open(shared / f'{name}.lock', 'w') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not done.exists():
      folder.mkdir()
      done.write_text(json.dumps(make(folder)))
    return folder, json.loads(done.read_text())


def snapshot(folder) -> dict:
  """{relative path: SHA-256} of every file under folder ({} if it does not exist)."""
  found = {}
  for root, _, names in os.walk(folder):
    for name in names:
      path = os.path.join(root, name)
      with open(path, 'rb') as f:
        found[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
  return found
