"""The components' own tests: real artifacts made once per session (tests/support/artifacts.py).

Each fixture is what the make_* returned (artifact JSON, see artifacts.artifact), made by
the first test worker that asks and read by the others. A test reads these artifacts and
writes only under its own tmp_path. tiny_trained (about 14 s) serves the fast tier;
tiny_evaluated and tiny_described (TFMA and StatisticsGen in Beam, about 12 s together)
only the full tier's GatedEvaluator and RunReport executor tests.
"""

import pytest

from tests.support import artifacts
from tests.support.folders import once


@pytest.fixture(scope='session')
def tiny_trained(tmp_path_factory):
  """IdxExampleGen to Trainer on 1,000 digits, one epoch: examples (train, eval,
  test_span_1), schema, StartingModel's empty `served`, transform_graph, model, model_run."""
  _, made = once(tmp_path_factory, 'tiny_trained', artifacts.make_trained)
  return made


@pytest.fixture(scope='session')
def tiny_evaluated(tmp_path_factory, tiny_trained):
  """ServedModel with nothing served (an empty baseline) and GatedEvaluator under
  artifacts.LOW_GATE, on the tiny model: baseline, evaluation, blessing."""
  _, made = once(tmp_path_factory, 'tiny_evaluated',
                 lambda folder: artifacts.make_evaluated(folder, tiny_trained))
  return made


@pytest.fixture(scope='session')
def tiny_described(tmp_path_factory, tiny_trained):
  """StatisticsGen and DataGate on the tiny examples: statistics, anomalies."""
  _, made = once(tmp_path_factory, 'tiny_described',
                 lambda folder: artifacts.make_described(folder, tiny_trained))
  return made
