"""The canary: a staged version is loaded and asked, in a fresh process, before it is published.

TFX's InfraValidator starts TF Serving in Docker or Kubernetes; neither runs here (nor in
a Kubeflow step), so this is our own check, and it covers less. It loads the version
with TensorFlow's session-based SavedModel loader (the MetaGraph and its signature_defs,
variables restored, as TF Serving's LoadSavedModel does), feeds each signature by its
signature_def's tensor names as TF Serving's predict does, and replays the version's
warm-up requests as TF Serving does when it loads a version. It does not run TF
Serving's binary, its request batching, or its gRPC and REST front ends.

A fresh process, so that a version that crashes the loader (a damaged graph can abort
the process) fails the canary, not the Pusher, and so that nothing the Trainer left in
this process (a Keras policy, traced functions) helps the version load.

It passes when, on the test digits the Trainer stored with the model
(lib/serving_requests.py's expected answers):
- every signature and input shape answers each digit with probabilities within
  TOLERANCE of the Trainer's model's, and the same digit;
- every warm-up request runs;
- a call with one digit takes at most the stated bound (the median of LATENCY_CALLS
  calls, after WARM_CALLS untimed ones), for each signature.

`python -m mnist_tfx.components.atomic_pusher.canary VERSION_DIR --max-latency-ms N` prints
the verdict as JSON on its last line and exits 0 if it passed, 1 if not.
"""

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import time

from mnist_tfx.lib import contracts
from mnist_tfx.lib.payloads import CanaryVerdict
from mnist_tfx.lib.process_exit import exit_now

# Largest difference allowed between a probability the staged version gives and the
# Trainer's model's (float32 on CPU differs by about 1e-7; float16 on GPUs by more).
TOLERANCE = 1e-3
WARM_CALLS = 3
LATENCY_CALLS = 20
# The loading process is killed after this long: a version that hangs the loader fails.
TIMEOUT_SECONDS = 600
_LONGEST_MESSAGE = 300  # Characters of an error's message kept in the verdict.


def check(version_dir: str, max_latency_ms: float) -> CanaryVerdict:
  """Runs the canary on a staged version in a fresh Python process; its verdict."""
  started = time.perf_counter()
  environment = dict(os.environ)
  environment.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  try:
    result = subprocess.run(
        [sys.executable, '-m', __name__, version_dir, '--max-latency-ms', str(max_latency_ms)],
        capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=environment, check=False)
  except subprocess.TimeoutExpired:
    return CanaryVerdict(False, f'loading did not finish in {TIMEOUT_SECONDS} s',
                         time.perf_counter() - started)
  seconds = time.perf_counter() - started
  lines = result.stdout.strip().splitlines()
  try:
    verdict = CanaryVerdict.from_json(lines[-1])
  except (IndexError, ValueError, TypeError):
    errors = result.stderr.strip().splitlines()
    ending = (f'was killed by signal {-result.returncode}' if result.returncode < 0
              else f'exited with status {result.returncode}')
    return CanaryVerdict(False, f'the loading process {ending}'
                         + (f': {errors[-1]}' if errors else ''), seconds)
  return dataclasses.replace(verdict, seconds=seconds)


class _Failure(Exception):
  """One line: what went wrong, starting with the signature and input shape."""


def examine(version_dir: str, max_latency_ms: float) -> CanaryVerdict:
  """The check itself, in this process: load, answer, replay the warm-up, time."""
  # pylint: disable=g-import-not-at-top
  import numpy as np
  import tensorflow as tf
  from mnist_tfx.lib import serving_requests
  # pylint: enable=g-import-not-at-top
  expected_path = os.path.join(version_dir, contracts.File.EXPECTED_ANSWERS)
  if not tf.io.gfile.exists(expected_path):
    return CanaryVerdict(
        False, f'{contracts.File.EXPECTED_ANSWERS} missing: nothing to compare with')
  expected = serving_requests.read_expected(expected_path)
  started = time.perf_counter()
  session = tf.compat.v1.Session(graph=tf.Graph())
  try:
    with session.graph.as_default():
      meta_graph = tf.compat.v1.saved_model.loader.load(
          session, [tf.saved_model.SERVING], version_dir)
  except Exception as e:  # pylint: disable=broad-except
    return CanaryVerdict(False, f'load: {_one_line(e)}')
  load_seconds = time.perf_counter() - started

  def answer(name, request):
    signature = meta_graph.signature_def.get(request.model_spec.signature_name)
    if signature is None:
      raise _Failure(f'{name}: no such signature in the version')
    feeds = {}
    for key, value in serving_requests.inputs_of(request).items():
      if key not in signature.inputs:
        raise _Failure(f'{name}: the signature has no input {key!r}')
      feeds[signature.inputs[key].name] = value
    fetches = {key: output.name for key, output in signature.outputs.items()}
    try:
      return session.run(fetches, feeds)
    except Exception as e:  # pylint: disable=broad-except
      raise _Failure(f'{name}: {_one_line(e)}') from e

  try:
    for named in serving_requests.predict_requests(expected.pixels):
      found = answer(named.name, named.request)
      _compare(named.name, found, expected, np)
    warmup_path = os.path.join(version_dir, contracts.File.WARMUP_REQUESTS)
    if not tf.io.gfile.exists(warmup_path):
      raise _Failure(f'{contracts.File.WARMUP_REQUESTS} missing')
    for number, request in enumerate(serving_requests.read_warmup(warmup_path), 1):
      answer(f'warm-up request {number} ({request.model_spec.signature_name})', request)
    latency_ms = 0.0
    for named in serving_requests.predict_requests(expected.pixels[:1]):
      for _ in range(WARM_CALLS):
        answer(named.name, named.request)
      calls = []
      for _ in range(LATENCY_CALLS):
        call_started = time.perf_counter()
        answer(named.name, named.request)
        calls.append((time.perf_counter() - call_started) * 1000)
      median = statistics.median(calls)
      latency_ms = max(latency_ms, median)
      if median > max_latency_ms:
        raise _Failure(f'{named.name}: a call took {median:.1f} ms (median of {LATENCY_CALLS}), '
                       f'above the bound of {max_latency_ms:g} ms')
  except _Failure as failure:
    return CanaryVerdict(False, str(failure), load_seconds=load_seconds,
                         digits=len(expected.labels))
  finally:
    session.close()
  return CanaryVerdict(True, load_seconds=load_seconds, latency_ms=latency_ms,
                       digits=len(expected.labels))


def _compare(name, found, expected, np) -> None:
  """The answers to the expected digits: the Trainer's probabilities within TOLERANCE, and
  its digits."""
  for key in ('probabilities', 'digit'):
    if key not in found:
      raise _Failure(f'{name}: no output {key!r}')
  probabilities = np.asarray(found['probabilities'])
  if probabilities.shape != expected.probabilities.shape:
    raise _Failure(f'{name}: probabilities of shape {list(probabilities.shape)}, '
                   f'expected {list(expected.probabilities.shape)}')
  differences = np.abs(probabilities - expected.probabilities).max(axis=1)
  worst = int(np.argmax(differences))
  if differences[worst] > TOLERANCE:
    raise _Failure(f'{name}: answers differ from the trained model\'s: test digit {worst} '
                   f'(a {expected.labels[worst]}) by up to {differences[worst]:.3g} in a '
                   f'probability (tolerance {TOLERANCE:g})')
  wanted = expected.probabilities.argmax(axis=1)
  digits = np.asarray(found['digit']).reshape(-1)
  if digits.shape != wanted.shape:
    raise _Failure(f'{name}: {digits.size} digits for {wanted.size} test digits')
  top_two = np.sort(expected.probabilities, axis=1)[:, -2:]
  clear = (top_two[:, 1] - top_two[:, 0]) > 2 * TOLERANCE  # A near-tie may go either way.
  wrong = np.flatnonzero(clear & (digits != wanted))
  if wrong.size:
    raise _Failure(f'{name}: test digit {wrong[0]} answered {digits[wrong[0]]}, the trained '
                   f'model says {wanted[wrong[0]]}')


def _one_line(error: BaseException) -> str:
  """The error's message on one line: TensorFlow's first line alone is often only
  `Graph execution error:`, and the cause follows it."""
  text = ' '.join(line.strip() for line in str(error).splitlines() if line.strip())
  return f'{type(error).__name__}: {text[:_LONGEST_MESSAGE]}'


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
  parser.add_argument('version_dir')
  parser.add_argument('--max-latency-ms', type=float, required=True)
  args = parser.parse_args(argv)
  verdict = examine(args.version_dir, args.max_latency_ms)
  print(verdict.to_json(), flush=True)
  return 0 if verdict.passed else 1


if __name__ == '__main__':
  exit_now(main())  # The Pusher waits for this process: not for TensorFlow's teardown too.
