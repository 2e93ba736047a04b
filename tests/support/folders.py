"""Folders for tests: made once per session for every xdist worker, compared, put on a small disk."""

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess


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
      shutil.rmtree(folder, ignore_errors=True)  # Left by a make() that failed.
      folder.mkdir()
      done.write_text(json.dumps(make(folder)))
    return folder, json.loads(done.read_text())


def copy_run(run_output, output_dir) -> None:
  """Copies a run's ML Metadata and serving directory into output_dir (its artifacts are
  read where they are), so that later runs there leave the shared run's folder alone."""
  output_dir.mkdir()
  shutil.copytree(run_output / 'serving', output_dir / 'serving')
  with sqlite3.connect(run_output / 'metadata.sqlite') as source:
    with sqlite3.connect(output_dir / 'metadata.sqlite') as copy:
      source.backup(copy)  # Consistent even while another test's run writes the store.


def snapshot(folder) -> dict:
  """{relative path: SHA-256} of every file under folder ({} if it does not exist)."""
  found = {}
  for root, _, names in os.walk(folder):
    for name in names:
      path = os.path.join(root, name)
      with open(path, 'rb') as f:
        found[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
  return found


def mount_small_disk(folder, free_bytes):
  """Puts `folder` on a tmpfs with its files and about free_bytes left; returns the unmount,
  or None where no tmpfs can be mounted (not root)."""
  keep = f'{folder}.kept'
  os.rename(folder, keep)
  os.mkdir(folder)
  used = sum(os.path.getsize(os.path.join(r, n)) for r, _, names in os.walk(keep) for n in names)
  size_kb = (used + free_bytes) // 1024 + 64
  mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size_kb}k', 'tmpfs', folder],
                           capture_output=True, text=True, check=False)
  if mounted.returncode != 0:
    os.rmdir(folder)
    os.rename(keep, folder)
    return None
  for name in os.listdir(keep):
    shutil.copytree(os.path.join(keep, name), os.path.join(folder, name), symlinks=True)

  def unmount():
    subprocess.run(['umount', folder], check=True)
    os.rmdir(folder)
    os.rename(keep, folder)
  return unmount
