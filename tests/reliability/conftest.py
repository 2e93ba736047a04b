"""The matrix's fixtures: a recorder for its table, and a served model to keep unchanged."""

import hashlib
import os
import shutil

import pytest

from tests.reliability import table


@pytest.fixture
def record(request):
  """record(case, expected, observed, command): one row of RELIABILITY.md's table."""
  def add(case, expected, observed, command=''):
    table.ROWS.append((request.node.nodeid, case, expected, observed, command))
  return add


def snapshot(folder) -> dict:
  """{relative path: SHA-256} of every file under folder ({} if it does not exist)."""
  found = {}
  for root, _, names in os.walk(folder):
    for name in names:
      path = os.path.join(root, name)
      with open(path, 'rb') as f:
        found[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
  return found


@pytest.fixture
def output_with_a_served_model(tmp_path, first_run):
  """A fresh output folder whose serving directory holds the first run's pushed version."""
  output_dir = tmp_path / 'outputs'
  shutil.copytree(os.path.join(first_run[0], 'serving'), output_dir / 'serving')
  return output_dir
