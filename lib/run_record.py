"""What a run did: the record that pipeline/run_reader.py reads back from ML Metadata.

Plain data, cheap to import: the summary, `history` and the benchmark format it.
"""

import dataclasses
from typing import Dict, List, NamedTuple, Optional

from mnist_tfx.lib import payloads


class Step(NamedTuple):
  """One component of a run: its id, state word (ran, cached, FAILED, ...) and seconds."""
  name: str
  state: str
  seconds: float


@dataclasses.dataclass
class RunRecord:
  """One run: its components, the spans it trained on, the Evaluator's figures and the push."""
  started: float = 0.0  # Unix seconds.
  components: List[Step] = dataclasses.field(default_factory=list)
  train_spans: List[int] = dataclasses.field(default_factory=list)
  data_error: Optional[str] = None  # Why the run stopped before training, if it did.
  served_problem: Optional[str] = None  # Why the served model was not trusted, if it was not.
  # LabelCheck's record (components/label_check.py): the served model's agreement with the
  # training labels; None when it did not complete (or the pipeline has none).
  label_check: Optional[payloads.LabelCheckResult] = None
  labels_stopped: bool = False  # LabelCheck stopped the run: the labels looked wrong.
  # SpanTest's record (components/span_test.py): per trained span with test digits of its
  # own, the candidate's accuracy on them; [] when none has, None when it did not complete.
  span_tests: Optional[List[payloads.SpanTest]] = None
  # StartingModel's: the version served when the data arrived ('' if none, None if the
  # step did not complete) and why it was not used ('' if it was); and how the Trainer
  # started (None when it wrote nothing).
  starting_version: Optional[str] = None
  starting_problem: str = ''
  training_start: Optional[payloads.TrainingStart] = None
  overall_accuracy: Optional[float] = None
  digit_accuracy: Dict[int, float] = dataclasses.field(default_factory=dict)
  baseline_accuracy: Optional[float] = None
  blessed: Optional[bool] = None
  pushed_to: Optional[str] = None
  pushed_version: Optional[str] = None
  # The Pusher's canary on the staged version (absent when nothing was staged): why it
  # failed ('' if it passed), its seconds, and its slowest median call with one digit.
  canary_failure: Optional[str] = None
  canary_seconds: Optional[float] = None
  canary_latency_ms: Optional[float] = None
  report_page: Optional[str] = None  # RunReport's index.html.

  def state(self, component: str) -> Optional[str]:
    return {step.name: step.state for step in self.components}.get(component)

  def all_cached(self) -> bool:
    """Nothing ran: no new data, code or settings since an earlier run."""
    return bool(self.components) and all(step.state == 'cached' for step in self.components)


@dataclasses.dataclass
class Lineage:
  """Where a pushed version came from, back to the files its examples were read from."""
  pushed_at: float  # Unix seconds.
  destination: str
  model_uri: str
  trainer_execution: int
  trained_at: float
  transform_graph_uri: str
  transform_execution: int
  examples_uri: str
  newest_span: int
  spans: Dict  # Per split, the spans and files read, as IdxExampleGen recorded them.
