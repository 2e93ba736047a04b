"""The local Beam arguments: none, so that no package of TFX is built.

pipeline/configs.py passes Beam no arguments, because TFX packages its own installation
for remote workers in every Beam executor that is given arguments without a dependency
flag (tfx/utils/dependency_utils.py); the in-memory runner has no remote workers. With
none, the executors name that runner themselves (lib/beam_runner.py, its own tests).
"""

import os
import tempfile

from mnist_tfx.pipeline import configs

# pylint: disable=g-import-not-at-top  (Beam and TFX load inside the tests.)


def test_beams_defaults_are_the_in_memory_direct_runner_with_one_worker():
  from apache_beam.options import pipeline_options
  options = pipeline_options.PipelineOptions(list(configs.LOCAL_BEAM_ARGS))
  assert options.view_as(pipeline_options.StandardOptions).runner is None
  assert pipeline_options.StandardOptions.DEFAULT_RUNNER == 'DirectRunner'
  direct = options.view_as(pipeline_options.DirectOptions)
  assert (direct.direct_running_mode, direct.direct_num_workers) == ('in_memory', 1)


def _packages_built(tmp_path, beam_pipeline_args) -> list:
  """What a TFX Beam executor left in the temp folder when made with these arguments, as a
  local run makes StatisticsGen's, Transform's and the Evaluator's."""
  from tfx.components.statistics_gen import executor
  from tfx.dsl.components.base import base_beam_executor
  temp = tmp_path / 'temp'
  temp.mkdir(parents=True)
  previous, tempfile.tempdir = tempfile.tempdir, str(temp)
  try:
    executor.Executor(base_beam_executor.BaseBeamExecutor.Context(
        beam_pipeline_args=list(beam_pipeline_args), tmp_dir=str(tmp_path / 'tmp'),
        unique_id='1'))
  finally:
    tempfile.tempdir = previous
  return [os.path.join(root, name) for root, _, names in os.walk(temp) for name in names
          if name.startswith('tfx_ephemeral')]


def test_no_package_of_tfx_is_built_for_a_local_run(tmp_path):
  assert _packages_built(tmp_path / 'ours', configs.LOCAL_BEAM_ARGS) == []
  # The same runner named explicitly: TFX builds its package (the check can fail).
  assert len(_packages_built(tmp_path / 'named', ['--runner=DirectRunner'])) == 1
