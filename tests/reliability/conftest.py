"""The matrix's fixtures: a recorder for its table, and a served model to keep unchanged."""

import hashlib
import json
import os
import shutil

import pytest

from tests.reliability import table

_OUTCOMES = {}  # Test node id: passed, failed or skipped.


@pytest.fixture
def record(request):
  """record(case, expected, observed, command): one row of RELIABILITY.md's table."""
  def add(case, expected, observed, command=''):
    table.ROWS.append((request.node.nodeid, case, expected, observed, command))
  return add


def pytest_runtest_logreport(report):
  """Each test's outcome; with xdist this runs where the table is written."""
  if report.when == 'call' or report.outcome != 'passed':
    if _OUTCOMES.get(report.nodeid) != 'failed':
      _OUTCOMES[report.nodeid] = report.outcome


def pytest_sessionfinish(session):
  if hasattr(session.config, 'workeroutput'):  # An xdist worker: hand the rows over.
    session.config.workeroutput['reliability_rows'] = json.dumps(table.ROWS)
  elif session.config.getoption('reliability_table') and table.ROWS:
    print(f'\nwrote {table.write(_OUTCOMES)}')


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
  """xdist: the rows a worker recorded, gathered where the table is written."""
  del error
  table.ROWS.extend(tuple(row) for row in json.loads(
      node.workeroutput.get('reliability_rows', '[]')))


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
