"""Beam's runner for TFX's Beam executors (lib/beam_runner.py).

Left to Beam, a pipeline with no runner named goes to PrismRunner first, which downloads
a Go binary (here the download fails and Beam falls back). Made by our executors, it runs
on the FnApiRunner and never tries Prism; given Beam arguments, TFX's own way applies.
"""

import logging

import pytest

pytestmark = pytest.mark.fast

# pylint: disable=g-import-not-at-top  (Beam and TFX load inside the tests.)

_PRISM = 'Running pipeline with PrismRunner'


def _executor(executor_class, tmp_path, beam_pipeline_args=()):
  from tfx.dsl.components.base import base_beam_executor
  return executor_class(base_beam_executor.BaseBeamExecutor.Context(
      beam_pipeline_args=list(beam_pipeline_args), tmp_dir=str(tmp_path), unique_id='1'))


def _run_squares(pipeline, tmp_path) -> list:
  """Runs x -> x * x over 0..3 on the pipeline; returns what it wrote."""
  import apache_beam as beam
  out = tmp_path / 'squares'
  with pipeline as p:
    _ = (p | beam.Create(range(4)) | beam.Map(lambda x: x * x)
         | beam.io.WriteToText(str(out), shard_name_template=''))
  return sorted(int(line) for line in out.read_text().split())


def test_beam_left_to_itself_tries_prism_first(tmp_path, caplog, monkeypatch):
  """The stock executor, as TFX makes it: the behaviour lib/beam_runner.py avoids. Prism
  fails at once here, as its download does offline, so that a machine with internet does
  not fetch it for this test; Beam logs its try before it starts."""
  from apache_beam.runners.portability import prism_runner
  from tfx.components.statistics_gen import executor

  def no_prism(*unused_args):
    raise RuntimeError('no Prism in this test')
  monkeypatch.setattr(prism_runner.PrismRunner, 'run_pipeline', no_prism)
  caplog.set_level(logging.INFO, logger='apache_beam.runners.direct.direct_runner')
  pipeline = _executor(executor.Executor, tmp_path)._make_beam_pipeline()
  assert _run_squares(pipeline, tmp_path) == [0, 1, 4, 9]
  assert _PRISM in caplog.text


@pytest.mark.parametrize('component', ['in_memory_statistics_gen', 'in_memory_transform',
                                       'gated_evaluator'])
def test_our_beam_executors_run_on_the_fn_api_runner(component, tmp_path, caplog):
  import importlib
  from apache_beam.runners.portability.fn_api_runner import fn_runner
  executor = importlib.import_module(f'mnist_tfx.components.{component}.executor')
  caplog.set_level(logging.INFO, logger='apache_beam')
  pipeline = _executor(executor.Executor, tmp_path)._make_beam_pipeline()
  assert isinstance(pipeline.runner, fn_runner.FnApiRunner)
  assert _run_squares(pipeline, tmp_path) == [0, 1, 4, 9]
  assert _PRISM not in caplog.text


def test_given_beam_arguments_the_runner_is_theirs(tmp_path):
  """As the Kubeflow compiler gives DataflowRunner's. With a dependency flag among them, so
  that TFX builds no package of itself for this test (tfx/utils/dependency_utils.py)."""
  from apache_beam.runners.direct import direct_runner
  from mnist_tfx.components.in_memory_statistics_gen import executor
  pipeline = _executor(executor.Executor, tmp_path, [
      '--runner=BundleBasedDirectRunner', '--sdk_container_image=unused'])._make_beam_pipeline()
  assert isinstance(pipeline.runner, direct_runner.BundleBasedDirectRunner)
