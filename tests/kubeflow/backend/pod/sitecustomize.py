"""What a step's pod has besides the image: the bucket, as ram:// (tests/kubeflow/backend).

Python imports this module at start-up when this folder is on PYTHONPATH, before
the step's own command runs. The launcher stand-in (launcher.py) sets:
  KFP_STANDIN_BUCKET: the bucket's SQLite file, loaded into ram:// now and the
    process's changes written back at exit (after the step's exit handlers, since
    this one is registered first); ram:// gets GCS's folder semantics
    (gcs_semantics.py) and Beam a file system for it (beam_ram.py);
  KFP_STANDIN_ABORT_AT_EXIT: abort during the interpreter's teardown, after the exit
    handlers, as TensorFlow has been seen to ("pure virtual method called" after the
    output metadata was written, sky-uk/kfp-operator on TFX 1.17).
"""

import atexit
import os

if os.environ.get('KFP_STANDIN_BUCKET'):
  from tests.kubeflow.backend import object_store
  from tests.kubeflow.backend.pod import beam_ram  # pylint: disable=unused-import
  from tests.kubeflow.backend.pod import gcs_semantics

  _BUCKET = object_store.Bucket(os.environ['KFP_STANDIN_BUCKET'])
  _LOADED = object_store.load_into_ram(_BUCKET)
  gcs_semantics.install()
  atexit.register(object_store.save_from_ram, _BUCKET, _LOADED)

if os.environ.get('KFP_STANDIN_ABORT_AT_EXIT'):

  class _AbortInTeardown:
    """Module globals are cleared in the teardown, after atexit: then this aborts."""

    def __del__(self):
      os.write(2, b'pure virtual method called\n')
      os.abort()

  _ABORT_IN_TEARDOWN = _AbortInTeardown()
