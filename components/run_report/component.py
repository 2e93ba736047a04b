"""RunReport: the run's pictures and decision as one HTML page, an artifact of the run.

Written by a component, not by the command line, so that a Kubeflow run has it
too. TFX 1.16 has no HTML artifact type (and a custom type on Kubeflow v2 must be
named by its import path, so the Kubeflow UI would not render it as system.HTML
either): the page is a `File` artifact whose folder holds index.html.
"""

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

from mnist_tfx.components.gated_evaluator import metrics
from mnist_tfx.components.run_report import facts
from mnist_tfx.components.run_report import page
from mnist_tfx.lib import contracts
from mnist_tfx.lib import payloads

_PROPERTY = contracts.Property


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
    pushed_model: InputArtifact[PushedModel] = None,
    label_check: InputArtifact[File] = None,
    span_tests: InputArtifact[File] = None,
):
  """Writes <report>/index.html: curves, per-digit accuracy, confusion, mistakes, data, verdict.

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
    pushed_model: the Pusher's, for where the model went; optional, so that a
      report is written whatever happened to it.
    label_check: LabelCheck's, the served model's agreement with the training labels.
    span_tests: SpanTest's, the candidate's accuracy on each trained span's own test digits.
  """
  pushed = pushed_model is not None and pushed_model.get_int_custom_property(_PROPERTY.PUSHED) == 1
  # The Pusher's canary verdict (components/atomic_pusher/canary.py); '' if none ran.
  verdict = (pushed_model.get_string_custom_property(_PROPERTY.CANARY)
             if pushed_model is not None else '')
  canary = payloads.CanaryVerdict.from_json(verdict) if verdict else None
  decision = page.Decision(
      blessed=blessing.get_int_custom_property(_PROPERTY.BLESSED) == 1,
      accuracy_threshold=accuracy_threshold,
      digit_accuracy_floor=digit_accuracy_floor,
      max_regression=max_regression,
      served_version=baseline.get_string_custom_property(_PROPERTY.SERVED_VERSION),
      served_problem=baseline.get_string_custom_property(_PROPERTY.SERVED_PROBLEM),
      pushed_version=(pushed_model.get_string_custom_property(_PROPERTY.PUSHED_VERSION)
                      if pushed else ''),
      pushed_to=(pushed_model.get_string_custom_property(_PROPERTY.PUSHED_DESTINATION)
                 if pushed else ''),
      model_uri=model.uri,
      canary_failure=canary.failure if canary else '',
      canary_latency_ms=canary.latency_ms if canary else None)
  html = page.build(decision,
                    evaluation=metrics.read(evaluation.uri),
                    history=facts.history(model_run.uri),
                    start=facts.start(model_run.uri),
                    splits=facts.statistics(statistics),
                    anomalies=facts.anomalies(anomalies),
                    predictions=facts.predictions(examples.uri, model.uri),
                    labels=facts.label_check(label_check),
                    span_tests=facts.span_tests(span_tests))
  path = os.path.join(report.uri, contracts.File.REPORT_PAGE)
  with fileio.open(path, 'w') as f:
    f.write(html)
  report.set_string_custom_property(_PROPERTY.PAGE_PATH, path)
