"""RunReport: the run's pictures and decision as one HTML page, an artifact of the run.

Written by a component, not by the command line, so that a Kubeflow run has it
too. TFX 1.16 has no HTML artifact type (and a custom type on Kubeflow v2 must be
named by its import path, so the Kubeflow UI would not render it as system.HTML
either): the page is a `File` artifact whose folder holds index.html.
"""

import datetime
import os

from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.annotations import OutputArtifact
from tfx.dsl.component.experimental.annotations import Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.dsl.io import fileio
from tfx.types.experimental.simple_artifacts import File
from tfx.types.standard_artifacts import ExampleAnomalies
from tfx.types.standard_artifacts import Examples
from tfx.types.standard_artifacts import ExampleStatistics
from tfx.types.standard_artifacts import Model
from tfx.types.standard_artifacts import ModelBlessing
from tfx.types.standard_artifacts import ModelEvaluation
from tfx.types.standard_artifacts import ModelRun
from tfx.types.standard_artifacts import PushedModel

from mnist_tfx.components.run_report import facts
from mnist_tfx.components.run_report import page
from mnist_tfx.lib import contracts
from mnist_tfx.lib import payloads
from mnist_tfx.lib import run_record
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.lib.contracts import Output


@component
def RunReport(  # pylint: disable=invalid-name
    model: InputArtifact[Model],
    model_run: InputArtifact[ModelRun],
    examples: InputArtifact[Examples],
    statistics: InputArtifact[ExampleStatistics],
    anomalies: InputArtifact[ExampleAnomalies],
    baseline: InputArtifact[Model],
    evaluation: InputArtifact[ModelEvaluation],
    blessing: InputArtifact[ModelBlessing],
    report: OutputArtifact[File],
    accuracy_threshold: Parameter[float],
    digit_accuracy_floor: Parameter[float],
    max_regression: Parameter[float],
    data_root: Parameter[str] = '',
    trainer_settings: Parameter[str] = '',
    pushed_model: InputArtifact[PushedModel] = None,
    label_check: InputArtifact[File] = None,
    span_tests: InputArtifact[File] = None,
):
  """Writes <report>/index.html: curves, per-digit accuracy, confusion, mistakes, data, verdict.

  What the run decided is read into the run record by the same readers as the summary
  and `history` (lib/run_record.py), from the artifacts handed in as the run reader finds
  them in ML Metadata; facts.py reads what only the page shows.

  Args:
    model: the candidate; its predictions on the eval split give the confusion
      matrix and the misclassified digits.
    model_run: the Trainer's run folder, with history.json (the curves).
    examples: IdxExampleGen's output; its eval split is the test set.
    statistics: StatisticsGen's, for examples per split and digit and the pixels.
    anomalies: DataGate's, per split (a run with any stops before this step).
    baseline: ServedModel's, for the served version's name.
    evaluation: the Evaluator's metrics, the page's accuracy figures.
    blessing: the Evaluator's verdict.
    report: the output; `page_path` (custom property) is the page's full path.
    accuracy_threshold: the gate's overall threshold, drawn on the bars.
    digit_accuracy_floor: the gate's per-digit floor, drawn on the bars.
    max_regression: how far below the served model the candidate may be.
    data_root: where the run read its spans, shown in the page's header.
    trainer_settings: the Trainer's settings (lib/payloads.py's TrainerSettings, JSON):
      recipe, epochs, seed and precision as asked, and the code's fingerprint.
    pushed_model: the Pusher's, for where the model went; optional, so that a
      report is written whatever happened to it.
    label_check: LabelCheck's, the served model's agreement with the training labels.
    span_tests: SpanTest's, the candidate's accuracy on each trained span's own test digits.
  """
  record = run_record.RunRecord()
  for component, outputs in (
      (ComponentId.IDX_EXAMPLE_GEN, {Output.EXAMPLES: examples}),
      (ComponentId.LABEL_CHECK, {Output.CHECK: label_check}),
      (ComponentId.TRAINER, {Output.MODEL_RUN: model_run}),
      (ComponentId.SERVED_MODEL, {Output.BASELINE: baseline}),
      (ComponentId.SPAN_TEST, {Output.SPAN_TESTS: span_tests}),
      (ComponentId.EVALUATOR, {Output.EVALUATION: evaluation, Output.BLESSING: blessing}),
      (ComponentId.PUSHER, {Output.PUSHED_MODEL: pushed_model})):
    run_record.read_outputs(
        record, component,
        {key: artifact.mlmd_artifact for key, artifact in outputs.items() if artifact is not None},
        failed=False)
  about = page.About(
      written=datetime.datetime.now(datetime.timezone.utc),
      data_root=data_root,
      settings=payloads.TrainerSettings.from_json(trainer_settings),
      log_path=os.environ.get(contracts.Environment.RUN_LOG, ''))
  html = page.build(
      record,
      page.Gate(accuracy_threshold, digit_accuracy_floor, max_regression),
      about,
      model_uri=model.uri,
      history=facts.history(model_run.uri),
      splits=facts.statistics(statistics),
      anomalies=facts.anomalies(anomalies),
      predictions=facts.predictions(examples.uri, model.uri))
  path = os.path.join(report.uri, contracts.File.REPORT_PAGE)
  with fileio.open(path, 'w') as f:
    f.write(html)
  report.set_string_custom_property(contracts.Property.PAGE_PATH, path)
