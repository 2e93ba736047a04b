"""The matrix's fixtures: a recorder for its table, and a served model to keep unchanged."""

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


@pytest.fixture
def output_with_a_served_model(tmp_path, first_run):
  """A fresh output folder whose serving directory holds the first run's pushed version."""
  output_dir = tmp_path / 'outputs'
  shutil.copytree(os.path.join(first_run[0], 'serving'), output_dir / 'serving')
  return output_dir
