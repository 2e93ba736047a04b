"""Requests to the served model, as TF Serving's predict API takes them.

The Trainer writes them into each exported version (warm-up requests, and the digits
the canary checks with); the Pusher's canary replays them; the cluster's gRPC client
sends them. One builder, so that all three send what TF Serving receives.

TF Serving's warm-up (tensorflow_serving/servables/tensorflow/saved_model_warmup_util.h
and .cc, and saved_model_warmup.cc for predict logs, tag 2.16.1) reads each version's
`assets.extra/tf_serving_warmup_requests` as it loads it: a TFRecord file, uncompressed,
of at most 1,000 PredictionLogs, each replayed through the session before the version
is made available. A request that fails there fails the load, so the canary replays
them too.
"""

import json
from typing import Dict, List, NamedTuple

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_log_pb2

from mnist_tfx.lib import contracts
from mnist_tfx.lib import features

# Each signature, and each shape serving_pixels accepts, with one digit and with a few.
WARMUP_BATCHES = (1, 4)


class Request(NamedTuple):
  """A predict request, named for messages: `serving_pixels [4, 28, 28]`."""
  name: str
  request: predict_pb2.PredictRequest


def predict_requests(pixels: np.ndarray) -> List[Request]:
  """One request per signature and input shape for the digits `pixels` (uint8 [N, 784]).

  serving_default takes serialized tf.Examples, as IdxExampleGen writes them;
  serving_pixels takes floats, [N, 28, 28] and [N, 784]. model_spec.name is left to
  the sender (TF Serving's warm-up does not read it).
  """
  pixels = np.asarray(pixels, np.uint8).reshape(-1, features.PIXELS)
  examples = [tf.train.Example(features=tf.train.Features(feature={
      features.PIXELS_KEY: tf.train.Feature(int64_list=tf.train.Int64List(value=row))}))
              .SerializeToString() for row in pixels.astype(np.int64)]
  count = len(pixels)
  floats = pixels.astype(np.float32)
  return [
      _request(contracts.Signature.SERVING_DEFAULT, 'examples',
               np.array(examples, dtype=object), f'[{count}] tf.Example'),
      _request(contracts.Signature.SERVING_PIXELS, 'pixels',
               floats.reshape(count, features.ROWS, features.COLS),
               f'[{count}, {features.ROWS}, {features.COLS}]'),
      _request(contracts.Signature.SERVING_PIXELS, 'pixels', floats,
               f'[{count}, {features.PIXELS}]'),
  ]


def _request(signature: str, input_name: str, value: np.ndarray, shape: str) -> Request:
  request = predict_pb2.PredictRequest()
  request.model_spec.signature_name = signature
  request.inputs[input_name].CopyFrom(tf.make_tensor_proto(value))
  return Request(f'{signature} {shape}', request)


def write_warmup(path: str, pixels: np.ndarray) -> None:
  """TF Serving's warm-up file: every request of predict_requests for the first digit,
  then for the first four."""
  with tf.io.TFRecordWriter(path) as writer:
    for batch in WARMUP_BATCHES:
      for named in predict_requests(pixels[:batch]):
        log = prediction_log_pb2.PredictionLog(
            predict_log=prediction_log_pb2.PredictLog(request=named.request))
        writer.write(log.SerializeToString())


def read_warmup(path: str) -> List[predict_pb2.PredictRequest]:
  """The requests of a warm-up file, in order."""
  requests = []
  for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
    log = prediction_log_pb2.PredictionLog.FromString(record)
    requests.append(log.predict_log.request)
  return requests


def inputs_of(request: predict_pb2.PredictRequest) -> Dict[str, np.ndarray]:
  """The request's tensors as numpy arrays, keyed by the signature's input names."""
  return {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}


class ExpectedAnswers(NamedTuple):
  """Test digits and the Trainer's model's answers to them, which a served copy must give."""
  pixels: np.ndarray  # uint8 [N, 784]
  labels: np.ndarray  # [N]
  probabilities: np.ndarray  # float32 [N, 10]


def write_expected(path: str, answers: ExpectedAnswers) -> None:
  with tf.io.gfile.GFile(path, 'w') as f:
    json.dump({'pixels': answers.pixels.astype(int).tolist(),
               'labels': answers.labels.astype(int).tolist(),
               'probabilities': answers.probabilities.astype(float).tolist()}, f)


def read_expected(path: str) -> ExpectedAnswers:
  with tf.io.gfile.GFile(path) as f:
    found = json.load(f)
  return ExpectedAnswers(np.array(found['pixels'], np.uint8), np.array(found['labels']),
                         np.array(found['probabilities'], np.float32))
