"""What one component writes and another part reads, as typed records, each with its format.

A record is written by its `to_json` (or `to_custom_config`) and read back by its
`from_json` (or `from_custom_config`), and by nothing else: a key is spelt once, here
(tests/test_architecture.py fails where one is spelt as a bare string elsewhere). The
JSON is what earlier runs wrote, key for key, so their outputs still read. Plain data:
no TensorFlow, no TFX, so that the light Kubeflow steps and `history` can import it.
"""

import dataclasses
import json
from typing import Dict, List, Optional


@dataclasses.dataclass(frozen=True)
class Disagreement:
  """Training digits the served model read as `read` that are labelled `label`."""
  read: int
  label: int
  count: int


@dataclasses.dataclass
class LabelCheckResult:
  """LabelCheck's check (label_check.json, and the artifact's `label_check` property).

  When the check was skipped (`skipped` says why), only `version` and `skipped` are written.
  """
  version: str
  skipped: str = ''
  agreement: Optional[float] = None  # Share of the training labels the served model agrees with.
  expected: Optional[float] = None  # The served model's accuracy on the fixed test set.
  margin: Optional[float] = None  # How far below `expected` the agreement may fall.
  digits: int = 0  # Training digits read.
  per_digit: Dict[str, float] = dataclasses.field(default_factory=dict)  # Label -> agreement.
  disagreements: List[Disagreement] = dataclasses.field(default_factory=list)  # Most first.

  def floor(self) -> float:
    """The agreement below which the run stops."""
    return self.expected - self.margin

  def to_json(self) -> str:
    found = dataclasses.asdict(self)
    found['disagreements'] = [list(dataclasses.astuple(pair)) for pair in self.disagreements]
    if self.skipped:
      found = {name: found[name] for name in ('version', 'skipped')}
    return json.dumps(found, sort_keys=True)

  @classmethod
  def from_json(cls, text: str) -> 'LabelCheckResult':
    found = json.loads(text)
    found['disagreements'] = [Disagreement(*pair) for pair in found.get('disagreements', [])]
    return cls(**found)


@dataclasses.dataclass(frozen=True)
class Confusion:
  """Test digits labelled `true` that the candidate read as `predicted`."""
  true: int
  predicted: int
  count: int


@dataclasses.dataclass
class SpanTest:
  """The candidate on one trained span's own test digits."""
  span: int
  split: str  # The examples' split, test_span_<span>.
  digits: int
  accuracy: Optional[float]  # None when the span's test files hold no digits.
  per_digit: Dict[str, float]  # Label -> accuracy.
  confusions: List[Confusion]  # The most frequent, most first.


@dataclasses.dataclass
class SpanTests:
  """SpanTest's span_tests.json (and the artifact's `span_tests` property): oldest span first,
  empty when no trained span carries test digits of its own."""
  spans: List[SpanTest] = dataclasses.field(default_factory=list)

  def to_json(self) -> str:
    found = []
    for span in self.spans:
      one = dataclasses.asdict(span)
      one['confusions'] = [list(dataclasses.astuple(c)) for c in span.confusions]
      found.append(one)
    return json.dumps(found, sort_keys=True)

  @classmethod
  def from_json(cls, text: str) -> 'SpanTests':
    spans = []
    for one in json.loads(text):
      one['confusions'] = [Confusion(*c) for c in one['confusions']]
      spans.append(SpanTest(**one))
    return cls(spans)


@dataclasses.dataclass
class TrainingStart:
  """The Trainer's start.json: how training started, with the recipe and epochs it ran."""
  warm: bool  # From the served model's weights.
  why_cold: str  # Why not, when not ('' when warm).
  recipe: str
  epochs: int

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self))

  @classmethod
  def from_json(cls, text: str) -> 'TrainingStart':
    return cls(**json.loads(text))


@dataclasses.dataclass
class TrainingHistory:
  """The Trainer's history.json: per-epoch figures by Keras's names (loss, accuracy, their
  val_ twins) and the learning rate, as the run report draws them."""
  LEARNING_RATE = 'lr'  # The Trainer's own figure: the rate of each epoch's last step.
  curves: Dict[str, List[float]] = dataclasses.field(default_factory=dict)

  def to_json(self) -> str:
    return json.dumps({name: [float(v) for v in values] for name, values in self.curves.items()})

  @classmethod
  def from_json(cls, text: str) -> 'TrainingHistory':
    return cls(json.loads(text))


@dataclasses.dataclass
class TrainerSettings:
  """What the pipeline tells the Trainer's run_fn, as the Trainer's `custom_config`.

  Empty values mean the Trainer's defaults (trainer_module/trainer.py).
  """
  recipe: str = ''  # A name in trainer_module/training.RECIPES.
  epochs: int = 0  # 0: the recipe's own.
  cold_start: int = 0  # 1: never start from the served model's weights.
  precision: str = ''  # A Keras mixed-precision policy.
  seed: Optional[int] = None
  # Read by TFX's cache only, never by run_fn: the code's fingerprint (pipeline/cache_keys.py).
  cache_key: str = ''

  def to_custom_config(self) -> dict:
    return dataclasses.asdict(self)

  def to_json(self) -> str:
    """For the run report, which shows them."""
    return json.dumps(self.to_custom_config())

  @classmethod
  def from_json(cls, text: str) -> 'TrainerSettings':
    return cls.from_custom_config(json.loads(text) if text else None)

  @classmethod
  def from_custom_config(cls, config: Optional[dict]) -> 'TrainerSettings':
    names = {field.name for field in dataclasses.fields(cls)}
    return cls(**{name: value for name, value in (config or {}).items() if name in names})


@dataclasses.dataclass
class CanaryVerdict:
  """What the Pusher's canary found (components/atomic_pusher/canary.py): the pushed model's
  `canary` property, and the canary process's last line. failure: one line naming the
  signature and what went wrong."""
  passed: bool
  failure: str = ''
  seconds: float = 0.0  # The whole check, the fresh process included.
  load_seconds: Optional[float] = None
  latency_ms: Optional[float] = None  # The slowest signature's median batch-1 call.
  digits: int = 0

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self))

  @classmethod
  def from_json(cls, text: str) -> 'CanaryVerdict':
    return cls(**json.loads(text))


@dataclasses.dataclass
class Evaluation:
  """GatedEvaluator's figures.json (lib/evaluation.py): the candidate's accuracy, overall and
  per digit, and the served model's, if one was served."""
  accuracy: Optional[float] = None
  digit_accuracy: Dict[int, float] = dataclasses.field(default_factory=dict)
  baseline_accuracy: Optional[float] = None

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), sort_keys=True)

  @classmethod
  def from_json(cls, text: str) -> 'Evaluation':
    fields = json.loads(text)
    fields['digit_accuracy'] = {int(digit): value
                                for digit, value in fields['digit_accuracy'].items()}
    return cls(**fields)
