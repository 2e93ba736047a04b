"""Beam's in-memory FnApiRunner for TFX's Beam executors, named rather than left to Beam.

Given no runner, Beam 2.68 and later (2.74 here) runs a DirectRunner pipeline on
PrismRunner first (apache_beam/runners/direct/direct_runner.py, SwitchingDirectRunner.
run_pipeline; apache/beam#34612). Prism is a Go program that Beam downloads from GitHub
at run time. Without internet the download fails, in about 0.5 s for each of
StatisticsGen, Transform and the Evaluator, and Beam falls back to the FnApiRunner. With
internet, those steps ran on Prism: a runner that the tests here never ran them on.
Beam's advice in #34612 is to name the FnApiRunner.

Naming it as a Beam argument would cost more than the download: given Beam arguments
without a dependency flag, every TFX Beam executor first builds a package of TFX for
remote workers (tfx/utils/dependency_utils.py), which the in-memory runner does not have.
So the executors make the pipeline themselves when they are given no Beam arguments; given
some (Dataflow, from the Kubeflow compiler), TFX's own way applies. Transform and the
Evaluator also add an argument of their own for user code given as a `module_file`: the
project names its code by module path, so none is added here.
"""

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import fn_runner


class InMemoryRunner:
  """Mixed into a TFX Beam executor, before it: no Beam arguments -> the FnApiRunner.

  The FnApiRunner is the runner that Beam's DirectRunner falls back to for these steps,
  so what they compute is as before; only the try on Prism is gone.
  """

  def _make_beam_pipeline(self) -> beam.Pipeline:
    if self._beam_pipeline_args or self._make_beam_pipeline_fn is not None:
      return super()._make_beam_pipeline()
    return beam.Pipeline(runner=fn_runner.FnApiRunner())
