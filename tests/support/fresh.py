"""Code run in a fresh interpreter, as a command starts, and the heavy packages it imported:
the paths that must not pay the seconds that TFX, TensorFlow, Beam or kfp take to import."""

import json
import subprocess
import sys
from typing import List, Tuple

# Top-level packages that take seconds to import, or belong to kfp's client stack.
HEAVY = ('apache_beam', 'kfp', 'kfp_server_api', 'kubernetes', 'ml_metadata', 'tensorflow',
         'tf_keras', 'tfx', 'urllib3')


def run_fresh(code: str, *args, cwd=None, env=None,
              check: bool = True) -> Tuple[subprocess.CompletedProcess, List[str]]:
  """(the result of `python -c CODE ARGS`, the HEAVY packages imported by its end). The list
  is printed on a last line of stdout, which the result's stdout no longer holds."""
  probe = ('\nimport json as _json, sys as _sys\n'
           f'print(_json.dumps([m for m in {list(HEAVY)!r} if m in _sys.modules]))\n')
  result = subprocess.run([sys.executable, '-c', code + probe, *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120, check=check)
  *printed, imported = result.stdout.splitlines(keepends=True)
  result.stdout = ''.join(printed)
  return result, json.loads(imported)
