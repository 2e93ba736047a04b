"""Asks TF Serving for the first test digits and prints its answer beside each label.

  python -m mnist_tfx.kubeflow.serving_client --target localhost:8500            # gRPC
  python -m mnist_tfx.kubeflow.serving_client --target localhost:8501 --rest     # REST

gRPC sends the requests of lib/serving_requests.py (the ones the canary and TF
Serving's warm-up replay) through PredictionService.Predict. REST posts
`{"signature_name": "serving_pixels", "instances": [[784 pixels], ...]}` to
/v1/models/NAME:predict with the standard library only (no TensorFlow import), and
reads `predictions`: one object per digit, keyed by output name, as TF Serving writes
a signature with two outputs (tensorflow_serving/util/json_tensor.cc,
MakeRowFormatJsonFromTensors, tag 2.16.1).
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import List, Optional

import numpy as np

from mnist_tfx.lib import contracts
from mnist_tfx.lib import idx
from mnist_tfx.lib.errors import DataError

SIGNATURES = (contracts.Signature.SERVING_PIXELS, contracts.Signature.SERVING_DEFAULT)


class ServingError(Exception):
  """TF Serving could not be asked, or refused: one line, exit status 1."""


def rest_predict(target: str, model: str, pixels: np.ndarray, timeout: float) -> List[int]:
  """The digits TF Serving's REST API predicts for uint8 pixels [N, 784] (serving_pixels)."""
  url = f'http://{target}/v1/models/{model}:predict'
  body = json.dumps({'signature_name': contracts.Signature.SERVING_PIXELS,
                     'instances': pixels.astype(int).tolist()}).encode()
  request = urllib.request.Request(url, data=body, method='POST',
                                   headers={'Content-Type': 'application/json'})
  try:
    with urllib.request.urlopen(request, timeout=timeout) as answer:
      predictions = json.load(answer)['predictions']
  except urllib.error.HTTPError as e:  # TF Serving's error body: {"error": "..."}.
    raise ServingError(f'{url}: {e.code} {e.read().decode(errors="replace").strip()}') from e
  except (urllib.error.URLError, OSError) as e:
    raise ServingError(f'{url}: {getattr(e, "reason", e)}') from e
  return [int(p['digit']) for p in predictions]


def grpc_predict(target: str, model: str, signature: str, pixels: np.ndarray,
                 timeout: float) -> List[int]:
  """The digits TF Serving's PredictionService predicts, asked through `signature`."""
  # pylint: disable=g-import-not-at-top
  import grpc
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')  # Before TensorFlow loads: no C++ logs.
  import tensorflow as tf
  from tensorflow_serving.apis import prediction_service_pb2_grpc
  from mnist_tfx.lib import serving_requests
  # pylint: enable=g-import-not-at-top
  named = next(r for r in serving_requests.predict_requests(pixels)
               if r.request.model_spec.signature_name == signature)
  request = named.request
  request.model_spec.name = model
  with grpc.insecure_channel(target) as channel:
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    try:
      response = stub.Predict(request, timeout=timeout)
    except grpc.RpcError as e:
      raise ServingError(f'{target} ({named.name}): {e.code().name} {e.details()}') from e
  return [int(d) for d in tf.make_ndarray(response.outputs['digit'])]


def main(argv: Optional[List[str]] = None) -> int:
  parser = _parser()
  args = parser.parse_args(argv)
  if args.rest and args.signature != contracts.Signature.SERVING_PIXELS:
    parser.error(f'--signature {args.signature} is for gRPC; REST sends serving_pixels')
  if args.count < 1:
    parser.error(f'--count {args.count}: must be at least 1')
  try:
    pair = idx.find_pair(args.data_root, 't10k')
    if pair is None:
      raise DataError(args.data_root, 'no t10k-images-idx3-ubyte[.gz] and labels pair')
    pixels, digits = idx.read_arrays(*pair, limit=args.count)
  except DataError as e:
    print(f'error: bad input data: {e}', file=sys.stderr)
    return 2
  try:
    if args.rest:
      predicted = rest_predict(args.target, args.model, pixels, args.timeout)
      how = f'REST {contracts.Signature.SERVING_PIXELS}'
    else:
      predicted = grpc_predict(args.target, args.model, args.signature, pixels, args.timeout)
      how = f'gRPC {args.signature}'
  except ServingError as e:
    print(f'error: {e}', file=sys.stderr)
    return 1
  print(' digit  label')
  for guess, label in zip(predicted, digits):
    print(f'{guess:6d} {label:6d}{"" if guess == label else "  wrong"}')
  right = sum(int(g == l) for g, l in zip(predicted, digits))
  print(f'{right} of {len(digits)} right ({how}, model {args.model} at {args.target})')
  return 0


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog='python -m mnist_tfx.kubeflow.serving_client', description=__doc__,
      formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--target', required=True,
                      help='HOST:PORT of TF Serving: gRPC 8500, REST 8501 (--rest)')
  parser.add_argument('--rest', action='store_true',
                      help='use the REST API (serving_pixels) instead of gRPC')
  parser.add_argument('--model', default='mnist', help='model name (default: %(default)s)')
  parser.add_argument('--signature', default=SIGNATURES[0], choices=SIGNATURES,
                      help='gRPC only: serving_pixels (floats) or serving_default '
                      '(serialized tf.Examples) (default: %(default)s)')
  parser.add_argument('--count', type=int, default=10,
                      help='how many of the first test digits to send (default: %(default)s)')
  parser.add_argument('--data-root', default='data/mnist',
                      help='folder with the t10k-* IDX pair (default: %(default)s)')
  parser.add_argument('--timeout', type=float, default=10.0,
                      help='seconds to wait for the answer (default: %(default)s)')
  return parser


if __name__ == '__main__':
  sys.exit(main())
