"""A pod forked warm (launcher.run_in_pod, tests/support/zygote.py) starts and ends as a fresh
`python -m` in the same pod: the same arguments, folder, Python path, temporary folder
and pod modules, the same exit status, and the same abort in the interpreter's teardown."""

import os
import subprocess
import sys

import pytest

from tests.kubeflow.backend import launcher

pytestmark = pytest.mark.full

PROBE = '''
import os, sys, tempfile
print(sys.argv[1:], os.getcwd(), sys.path[:3], tempfile.gettempdir(),
      'sitecustomize' in sys.modules, os.environ.get('PROBE'))
sys.exit(int(sys.argv[1]))
'''


@pytest.mark.parametrize('status,abort', [(0, False), (3, False), (0, True)])
def test_a_warm_pod_starts_and_ends_as_a_fresh_one(tmp_path, monkeypatch, status, abort):
  (tmp_path / 'probe.py').write_text(PROBE)
  (tmp_path / 'tmp').mkdir()
  monkeypatch.chdir(tmp_path)
  env = dict(os.environ, PYTHONPATH=os.pathsep.join([launcher.POD_PYTHONPATH, str(tmp_path)]),
             TMPDIR=str(tmp_path / 'tmp'), PROBE='seen')
  if abort:
    env['KFP_STANDIN_ABORT_AT_EXIT'] = '1'
  command = [sys.executable, '-m', 'probe', str(status), 'two words']
  fresh = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, check=False)
  returncode = launcher.run_in_pod(command, env, str(tmp_path / 'output'))
  warm = (tmp_path / 'output').read_text()
  assert (returncode, warm) == (fresh.returncode, fresh.stdout)
  assert f"['{status}', 'two words'] {tmp_path} ['{tmp_path}', '{launcher.POD_PYTHONPATH}'" in warm
  assert f"{tmp_path / 'tmp'} True seen" in warm
  if abort:
    assert fresh.returncode == -6 and 'pure virtual method called' in fresh.stdout
  else:
    assert fresh.returncode == status
