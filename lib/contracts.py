"""Names that one part of the project writes and another reads, each defined once.

A component writes an artifact property, the run record reads it back; the
Trainer writes a file into its artifact, the run report reads it. Spelt in one
place, a rename is one edit, and tests/test_architecture.py fails if a writer
and a reader disagree.
"""


class ComponentId:
  """The ids pipeline/pipeline.py gives its components (ML Metadata's node names)."""
  IDX_EXAMPLE_GEN = 'IdxExampleGen'
  IMPORT_SCHEMA_GEN = 'ImportSchemaGen'
  STATISTICS_GEN = 'StatisticsGen'
  DATA_GATE = 'DataGate'
  STARTING_MODEL = 'StartingModel'
  LABEL_CHECK = 'LabelCheck'
  TRANSFORM = 'Transform'
  TRAINER = 'Trainer'
  SERVED_MODEL = 'ServedModel'
  EVALUATOR = 'Evaluator'
  SPAN_TEST = 'SpanTest'
  PUSHER = 'Pusher'
  RUN_REPORT = 'RunReport'

  # The order a local run runs them in (TFX sorts each layer of the graph by id): SpanTest
  # and ServedModel both follow the Trainer, so it runs before the Evaluator.
  ORDER = (IDX_EXAMPLE_GEN, IMPORT_SCHEMA_GEN, STATISTICS_GEN, DATA_GATE, STARTING_MODEL,
           LABEL_CHECK, TRANSFORM, TRAINER, SERVED_MODEL, SPAN_TEST, EVALUATOR, PUSHER,
           RUN_REPORT)


class Output:
  """Output keys that other parts read."""
  EXAMPLES = 'examples'  # IdxExampleGen.
  BASELINE = 'baseline'  # ServedModel.
  SERVED = 'served'  # StartingModel: the model served when the training data arrived.
  REPORT = 'report'  # RunReport.
  CHECK = 'check'  # LabelCheck.
  SPAN_TESTS = 'span_tests'  # SpanTest.
  # TFX's own keys (standard_component_specs), which the run record reads without importing
  # TFX: tests/lib/test_run_record.py pins them to the installed TFX's.
  MODEL = 'model'  # Trainer.
  MODEL_RUN = 'model_run'  # Trainer.
  TRANSFORM_GRAPH = 'transform_graph'  # Transform.
  EVALUATION = 'evaluation'  # Evaluator.
  BLESSING = 'blessing'  # Evaluator.
  PUSHED_MODEL = 'pushed_model'  # Pusher.


class Property:
  """Custom properties of artifacts, by the component that sets them."""
  # IdxExampleGen's examples: JSON, per split, the spans and files read (with SHA-256).
  SPANS = 'spans'
  EXAMPLE_COUNTS = 'example_counts'  # JSON: examples per split.
  # ServedModel's baseline and StartingModel's served: the version served ('' if none),
  # and why it was not trusted ('' if it was).
  SERVED_VERSION = 'served_version'
  SERVED_PROBLEM = 'served_problem'
  # The Evaluator's blessing (1 or 0), and DataGate's anomalies (per split, 1 if clean):
  # TFX's name in both (its Evaluator's and ExampleValidator's constants).
  BLESSED = 'blessed'
  # The Pusher's pushed model: TFX's names, as its stock Pusher sets them
  # (tests/components/test_atomic_pusher.py pins them to the installed TFX's).
  PUSHED = 'pushed'
  PUSHED_DESTINATION = 'pushed_destination'
  PUSHED_VERSION = 'pushed_version'
  PAGE_PATH = 'page_path'  # RunReport's report: the page's full path.
  # LabelCheck's check: JSON, the served model's agreement with the training labels.
  LABEL_CHECK = 'label_check'
  # SpanTest's span_tests: JSON, per trained span with test digits of its own, the
  # candidate's accuracy on them ([] when none has).
  SPAN_TESTS = 'span_tests'
  # The Pusher's pushed model: JSON, the canary's verdict on the staged version
  # (components/atomic_pusher/canary.py); absent when nothing was staged.
  CANARY = 'canary'


class File:
  """Files that cross from one component to another inside artifacts."""
  HISTORY = 'history.json'  # Trainer's model_run: per-epoch figures, drawn by RunReport.
  # Trainer's model_run: how training started (warm from the served model, or cold and why).
  START = 'start.json'
  ANOMALIES = 'SchemaDiff.pb'  # DataGate's anomalies, per split, as ExampleValidator names it.
  REPORT_PAGE = 'index.html'  # RunReport's report.
  LABEL_CHECK = 'label_check.json'  # LabelCheck's check, drawn by RunReport.
  SPAN_TESTS = 'span_tests.json'  # SpanTest's span_tests.
  # GatedEvaluator's evaluation: its figures, read from TFMA's output once
  # (lib/evaluation.py).
  EVALUATION_FIGURES = 'figures.json'
  # Inside the Trainer's SavedModel, where TF Serving ignores them (assets.extra), pushed
  # with it: TF Serving's warm-up requests (the name TF Serving reads), and test digits
  # with the Trainer's model's answers to them, which the Pusher's canary checks.
  WARMUP_REQUESTS = 'assets.extra/tf_serving_warmup_requests'
  EXPECTED_ANSWERS = 'assets.extra/expected_answers.json'
  # The Keras model's layers and their settings, which a warm start from this version
  # compares with its own before taking its weights (trainer_module/warm_start.py).
  ARCHITECTURE = 'assets.extra/architecture.json'


class Signature:
  """The exported SavedModel's signatures (trainer_module/signatures.py)."""
  SERVING_DEFAULT = 'serving_default'  # Serialized tf.Examples.
  SERVING_PIXELS = 'serving_pixels'  # Raw pixels, for REST clients.


class Environment:
  """Environment variables one part sets for another in the same process."""
  # A local run's log file (app/local_run.py), named on the run report's page; unset on
  # Kubeflow, where each step's log is the pod's.
  RUN_LOG = 'MNIST_TFX_RUN_LOG'
