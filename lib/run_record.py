"""What a run did, and one small reader per component that fills it from its output artifacts.

pipeline/run_reader.py finds each component's outputs in ML Metadata; the run report
(components/run_report/) is handed them as its inputs; both fill the record through
the readers here, so the summary, `history`, the benchmark and the page count the same.
Plain data, cheap to import: files inside local artifacts are read with open, and TFX's
fileio (which imports TensorFlow) only for gs:// paths, the run report's on Kubeflow.
"""

import dataclasses
import json
import os
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from mnist_tfx.lib import files
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
  run_id: str = ''  # ML Metadata's name of the run (its pipeline_run context).
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

  def worst_digit(self) -> Optional[Tuple[int, float]]:
    """(digit, accuracy) of the digit read least well, as the per-digit floor judges it;
    None without the Evaluator's figures."""
    return min(self.digit_accuracy.items(), key=lambda item: item[1], default=None)

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
    spans = _text(outputs[Output.EXAMPLES], Property.SPANS)
    if spans is not None:
      record.train_spans = [part['span'] for part in json.loads(spans)['train']]


def _data_gate(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del outputs  # Its anomalies are the run report's; the record keeps the stop.
  if failed:
    record.data_error = 'stopped by DataGate (anomalies or drift)'


def _label_check(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  if failed:
    record.labels_stopped = True
    record.data_error = 'stopped by LabelCheck (the labels disagree with the served model)'
  elif Output.CHECK in outputs:
    text = _text(outputs[Output.CHECK], Property.LABEL_CHECK)
    record.label_check = payloads.LabelCheckResult.from_json(text) if text else None


def _span_test(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed  # A failed SpanTest wrote nothing: span_tests stays None.
  if Output.SPAN_TESTS in outputs:
    text = _text(outputs[Output.SPAN_TESTS], Property.SPAN_TESTS)
    record.span_tests = payloads.SpanTests.from_json(text).spans if text else None


def _starting_model(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.SERVED in outputs:
    served = outputs[Output.SERVED]
    record.starting_version = _text(served, Property.SERVED_VERSION) or ''
    record.starting_problem = _text(served, Property.SERVED_PROBLEM) or ''


def _trainer(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.MODEL_RUN in outputs:
    text = _read_text(outputs[Output.MODEL_RUN].uri, File.START)
    record.training_start = payloads.TrainingStart.from_json(text) if text is not None else None


def _served_model(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.BASELINE in outputs:
    baseline = outputs[Output.BASELINE]
    record.served_version = _text(baseline, Property.SERVED_VERSION) or ''
    record.served_problem = _text(baseline, Property.SERVED_PROBLEM)


def _evaluator(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.EVALUATION in outputs:
    uri = outputs[Output.EVALUATION].uri
    text = _read_text(uri, File.EVALUATION_FIGURES)
    if text is not None:
      figures = payloads.Evaluation.from_json(text)
    else:  # An evaluation made before GatedEvaluator wrote figures.json: TFMA's own output.
      from mnist_tfx.lib import evaluation  # pylint: disable=g-import-not-at-top
      figures = evaluation.from_tfma(uri)
    record.overall_accuracy = figures.accuracy
    record.digit_accuracy = figures.digit_accuracy
    record.baseline_accuracy = figures.baseline_accuracy
    if Output.BLESSING in outputs:
      record.blessed = _int(outputs[Output.BLESSING], Property.BLESSED) == 1


def _pusher(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.PUSHED_MODEL in outputs:
    pushed = outputs[Output.PUSHED_MODEL]
    if _int(pushed, Property.PUSHED) == 1:
      record.pushed_to = _text(pushed, Property.PUSHED_DESTINATION)
      record.pushed_version = _text(pushed, Property.PUSHED_VERSION)
    verdict = _text(pushed, Property.CANARY)
    if verdict is not None:
      found = payloads.CanaryVerdict.from_json(verdict)
      record.canary_failure = found.failure
      record.canary_seconds = found.seconds
      record.canary_latency_ms = found.latency_ms


def _run_report(record: RunRecord, outputs: Outputs, failed: bool) -> None:
  del failed
  if Output.REPORT in outputs:
    record.report_page = _text(outputs[Output.REPORT], Property.PAGE_PATH)


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
  return files.read_text(os.path.join(folder, name))


# Kubeflow hands a step its input artifacts' custom properties as structs, each holding its
# value under this key (TFX's artifact.py, _JSON_SINGLE_VALUE_KEY).
_KUBEFLOW_VALUE = '__value__'


def _property(artifact, key: str):
  """A custom property's value, None if the artifact has none. A local run's ML Metadata
  holds it as a plain value; Kubeflow hands it to a step as a struct around it. TFX's
  Artifact getters read both (tests/lib/test_run_record.py holds this to them)."""
  if key not in artifact.custom_properties:
    return None
  value = artifact.custom_properties[key]
  kind = value.WhichOneof('value')
  if kind == 'struct_value':
    inner = value.struct_value.fields[_KUBEFLOW_VALUE]
    return getattr(inner, inner.WhichOneof('kind'))
  return getattr(value, kind)


def _text(artifact, key: str) -> Optional[str]:
  value = _property(artifact, key)
  return None if value is None else str(value)


def _int(artifact, key: str) -> Optional[int]:
  value = _property(artifact, key)
  return None if value is None else int(value)
