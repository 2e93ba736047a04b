"""The step command as it was before our run_executor: bench/step_start.py's 'before'.

mnist_tfx.kubeflow.entrypoint's main (its repairs, the folder markers, the exit)
around TFX 1.16's kubeflow_v2_run_executor.main, imported where main imported it
then: after the repairs. Only the executor's runner differs from the compiled command.
"""

from absl import app

from mnist_tfx.kubeflow import entrypoint


def _tfx_run_executor(args, beam_args) -> None:
  # pylint: disable=g-import-not-at-top
  from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_run_executor
  # pylint: enable=g-import-not-at-top
  kubeflow_v2_run_executor.main((args, beam_args))


if __name__ == '__main__':
  entrypoint.run_executor = _tfx_run_executor
  app.run(entrypoint.main, flags_parser=lambda argv: entrypoint.parse_args(argv[1:]))
