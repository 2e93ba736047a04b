"""What a run did, and one small reader per component that fills it from its output artifacts.

pipeline/run_reader.py finds each component's outputs in ML Metadata; the run report
(components/run_report/) is handed them as its inputs; both fill the record through
the readers here, so the summary, `history`, the benchmark and the page count the same.
Plain data, cheap to import: files inside artifacts are read through TFX's fileio
(local paths and gs://), imported only when a reader runs.
"""

import dataclasses
import json
import os
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional

from mnist_tfx.lib import payloads
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.lib.contracts import File
from mnist_tfx.lib.contracts import Output
from mnist_tfx.lib.contracts import Property


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
  # ServedModel's: the version the candidate is compared with ('' if none, None if the step
  # did not complete), and why it was not trusted, if it was not.
  served_version: Optional[str] = None
  served_problem: Optional[str] = None
  # LabelCheck's record (components/label_check/): the served model's agreement with the
  # training labels; None when it did not complete (or the pipeline has none).
  label_check: Optional[payloads.LabelCheckResult] = None
  labels_stopped: bool = False  # LabelCheck stopped the run: the labels looked wrong.
  # SpanTest's record (components/span_test/): per trained span with test digits of its
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


# One reader per component: what its execution adds to the run record, from its output
# artifacts (ML Metadata's Artifact protos, by output key) and whether it failed.
Outputs = Mapping[str, 'metadata_store_pb2.Artifact']  # noqa: F821 (ml_metadata's proto)


def read_outputs(record: RunRecord, component: str, outputs: Outputs, failed: bool) -> None:
  """Adds what the component's execution tells to the record; a component without a reader
  adds nothing (its step is the record's `components` entry alone)."""
  reader = _READERS.get(component)
  if reader is not None:
    reader(record, outputs, failed)


def _examples(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed  # A failed IdxExampleGen has no examples: `outputs` is empty.
  if Output.EXAMPLES in outputs:
    spans = outputs[Output.EXAMPLES].custom_properties.get(Property.SPANS)
    if spans is not None:
      record.train_spans = [part['span'] for part in json.loads(spans.string_value)['train']]


def _data_gate(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del outputs  # Its anomalies are the run report's; the record keeps the stop.
  if failed:
    record.data_error = 'stopped by DataGate (anomalies or drift)'


def _label_check(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  if failed:
    record.labels_stopped = True
    record.data_error = 'stopped by LabelCheck (the labels disagree with the served model)'
  elif Output.CHECK in outputs:
    record.label_check = payloads.LabelCheckResult.from_json(
        outputs[Output.CHECK].custom_properties[Property.LABEL_CHECK].string_value)


def _span_test(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed  # A failed SpanTest wrote nothing: span_tests stays None.
  if Output.SPAN_TESTS in outputs:
    record.span_tests = payloads.SpanTests.from_json(
        outputs[Output.SPAN_TESTS].custom_properties[Property.SPAN_TESTS].string_value).spans


def _starting_model(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.SERVED in outputs:
    served = outputs[Output.SERVED].custom_properties
    record.starting_version = served[Property.SERVED_VERSION].string_value
    record.starting_problem = served[Property.SERVED_PROBLEM].string_value


def _trainer(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.MODEL_RUN in outputs:
    text = _read_text(outputs[Output.MODEL_RUN].uri, File.START)
    record.training_start = payloads.TrainingStart.from_json(text) if text is not None else None


def _served_model(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.BASELINE in outputs:
    baseline = outputs[Output.BASELINE].custom_properties
    version = baseline.get(Property.SERVED_VERSION)
    problem = baseline.get(Property.SERVED_PROBLEM)
    record.served_version = version.string_value if version is not None else ''
    record.served_problem = problem.string_value if problem is not None else None


def _evaluator(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.EVALUATION in outputs:
    from mnist_tfx.lib import evaluation  # pylint: disable=g-import-not-at-top
    figures = evaluation.read(outputs[Output.EVALUATION].uri)
    record.overall_accuracy = figures.accuracy
    record.digit_accuracy = figures.digit_accuracy
    record.baseline_accuracy = figures.baseline_accuracy
    blessing = outputs.get(Output.BLESSING)
    if blessing is not None:
      record.blessed = blessing.custom_properties[Property.BLESSED].int_value == 1


def _pusher(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.PUSHED_MODEL in outputs:
    pushed = outputs[Output.PUSHED_MODEL].custom_properties
    if pushed[Property.PUSHED].int_value == 1:
      record.pushed_to = pushed[Property.PUSHED_DESTINATION].string_value
      record.pushed_version = pushed[Property.PUSHED_VERSION].string_value
    if Property.CANARY in pushed:
      verdict = payloads.CanaryVerdict.from_json(pushed[Property.CANARY].string_value)
      record.canary_failure = verdict.failure
      record.canary_seconds = verdict.seconds
      record.canary_latency_ms = verdict.latency_ms


def _run_report(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.REPORT in outputs:
    record.report_page = outputs[Output.REPORT].custom_properties[Property.PAGE_PATH].string_value


_READERS: Dict[str, Callable[[RunRecord, Outputs, bool], None]] = {
    ComponentId.IDX_EXAMPLE_GEN: _examples,
    ComponentId.DATA_GATE: _data_gate,
    ComponentId.STARTING_MODEL: _starting_model,
    ComponentId.LABEL_CHECK: _label_check,
    ComponentId.TRAINER: _trainer,
    ComponentId.SERVED_MODEL: _served_model,
    ComponentId.SPAN_TEST: _span_test,
    ComponentId.EVALUATOR: _evaluator,
    ComponentId.PUSHER: _pusher,
    ComponentId.RUN_REPORT: _run_report,
}


def _read_text(folder: str, name: str) -> Optional[str]:
  """A file a component wrote into its artifact; None if it wrote none."""
  from tfx.dsl.io import fileio  # pylint: disable=g-import-not-at-top
  path = os.path.join(folder, name)
  if not fileio.exists(path):
    return None
  with fileio.open(path) as f:
    return f.read()
