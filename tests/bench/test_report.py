"""bench/report.py: BENCHMARKS.md's generated part is the one bench/results.json gives, and
every target of the benchmark has its row (a hand edit, or a run that wrote one file and not
the other, fails here)."""

import json
import os

from bench import processes
from bench import report

RESULTS = os.path.join(processes.BENCH_DIR, 'results.json')
BENCHMARKS = os.path.join(processes.PROJECT_DIR, 'BENCHMARKS.md')


def _results() -> dict:
  with open(RESULTS) as f:
    return json.load(f)


def test_benchmarks_md_holds_what_results_json_gives():
  with open(BENCHMARKS) as f:
    text = f.read()
  generated = text[text.index(report.BEGIN) + len(report.BEGIN) + 1:text.index(report.END)]
  assert generated == report.markdown(_results())


def test_every_target_has_a_row_and_each_cold_seed_its_gaps():
  results = _results()
  assert not results['quick']
  lines = report.markdown(results).splitlines()
  targets = [line for line in lines if line.startswith('| ') and line.endswith((' yes |',
                                                                                ' **no** |'))]
  for name in ('Stalls', '1. Cold pipeline', '2. Overhead', '3a. The export',
               '3b. First epoch', '3c. StatisticsGen', '4. A run with nothing changed',
               '5. bfloat16', 'Training throughput', 'Ingestion', 'Peak memory'):
    assert sum(line.startswith(f'| {name}') for line in targets) == 1, name
  assert len(results['cold']) == 3
  for entry in results['cold']:
    assert processes.gaps(entry['trainer_clock']) is not None, entry['seed']
