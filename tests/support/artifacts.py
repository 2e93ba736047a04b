"""Real artifacts for the components' own tests, made once per test session.

The pipeline's executors run in this process on a few hundred digits cut from data/mnist
at test time, as TFX tests its components against `testdata/`. Each takes the
exec_properties that create_pipeline gives its component (pipeline/pipeline.py), serialized
as TFX's compiler serializes them, so a test runs the step the pipeline runs:

- make_trained: IdxExampleGen, ImportSchemaGen (the curated schema), StartingModel (nothing
  served yet), Transform (trainer_module.preprocessing) and the Trainer (run_fn), one
  epoch of the fast recipe on TRAIN_DIGITS digits, seeded (about 8 steps);
- make_evaluated: ServedModel (nothing served: an empty baseline) and GatedEvaluator,
  under LOW_GATE;
- make_described: StatisticsGen and DataGate.

Each returns its artifacts as JSON (Artifact.to_json_dict), which folders.once keeps for
every test worker, with the seconds each step took; `artifact` turns one back into a
fresh Artifact. Tests read these artifacts and never write into them.

The model is tiny: its batch norms' moving statistics have barely moved in 8 steps, and it
reads about half the test digits right (here, not a single 1). Tests that need a figure
compute it from the model's own answers (`answers`).

Measured here (two cores shared with other test runs): make_trained about 14 s (Transform
and the Trainer about 6 s each), make_evaluated about 7 s, make_described about 5 s.
"""

import json
import os
import shutil
import time
from typing import Dict, Optional, Tuple

import numpy as np

from tests.support import idx_files

# The data: one span of TRAIN_DIGITS training digits that carries SPAN_TEST_DIGITS test
# digits of its own (split test_span_1), and a fixed evaluation set of EVAL_DIGITS other
# test digits (--eval-root): every kind of split the pipeline reads but `previous`.
TRAIN_DIGITS = 1000
EVAL_DIGITS = 500
SPAN_TEST_DIGITS = 200
SPAN_TEST_SPLIT = 'test_span_1'
# What the Trainer is given (--epochs, --seed): one epoch of the fast recipe.
EPOCHS = 1
SEED = 7
# The gate of the session's evaluation: any model passes it (the tiny one reads no 1).
LOW_GATE = {'accuracy_threshold': 0.0, 'digit_accuracy_floor': 0.0, 'max_regression': 0.0}

# pylint: disable=g-import-not-at-top  (TFX loads when an artifact is made, not at collection.)


def artifact(data: dict):
  """A fresh Artifact from what a make_* returned: each test gets its own object."""
  from tfx.types import artifact as artifact_lib
  return artifact_lib.Artifact.from_json_dict(data)


def new(kind: str, uri):
  """An empty output artifact at uri: a standard kind ('Model', 'Examples', ...) or 'File'
  (our components' records)."""
  from tfx.types import standard_artifacts
  from tfx.types.experimental import simple_artifacts
  made = getattr(simple_artifacts if kind == 'File' else standard_artifacts, kind)()
  made.uri = str(uri)
  os.makedirs(made.uri, exist_ok=True)
  return made


def starting_model(folder, examples, serving):
  """Runs StartingModel's executor as its step does, on an Examples artifact and a serving
  directory; returns its `served` artifact (under folder/served)."""
  from mnist_tfx.components.starting_model.component import StartingModel
  served = new('Model', folder / 'served')
  StartingModel.EXECUTOR_SPEC.executor_class().Do(
      {'examples': [examples]}, {'served': [served]}, {'serving_dir': str(serving)})
  return served


def pipeline_config(folder, **fields):
  """The PipelineConfig of a run writing under folder/outputs."""
  from mnist_tfx.pipeline import configs
  return configs.PipelineConfig(output_dir=str(folder / 'outputs'), **fields)


def exec_properties(config) -> Dict[str, dict]:
  """{component id: its exec_properties as its executor receives them}, from the pipeline
  create_pipeline builds for `config`: protos as JSON, None left out, as TFX compiles them."""
  from google.protobuf import message
  from tfx.utils import proto_utils
  from mnist_tfx.pipeline import pipeline
  built = pipeline.create_pipeline(config, enable_cache=False)
  return {node.id: {name: proto_utils.proto_to_json(value)
                    if isinstance(value, message.Message) else value
                    for name, value in node.exec_properties.items() if value is not None}
          for node in built.components}


def beam_context(folder):
  """The context a local run gives a Beam component's executor: the pipeline's Beam args."""
  from tfx.dsl.components.base import base_beam_executor
  from mnist_tfx.pipeline import configs
  return base_beam_executor.BaseBeamExecutor.Context(
      beam_pipeline_args=list(configs.LOCAL_BEAM_ARGS), tmp_dir=str(folder / 'tmp'),
      unique_id='1')


class _Steps:
  """Runs executors, timing each: {component id: seconds}."""

  def __init__(self, properties):
    self.properties = properties
    self.seconds = {}

  def run(self, component_id, executor, inputs, outputs):
    started = time.perf_counter()
    executor.Do(inputs, outputs, self.properties[component_id])
    self.seconds[component_id] = round(time.perf_counter() - started, 2)

  def returned(self, started, **artifacts) -> dict:
    self.seconds['total'] = round(time.perf_counter() - started, 2)
    return {**{key: value.to_json_dict() for key, value in artifacts.items()},
            'seconds': self.seconds}


def write_data(folder) -> Dict[str, str]:
  """{'data_root': the span, 'eval_root': the fixed evaluation set}, as gzipped IDX files."""
  train = idx_files.read_split('train', TRAIN_DIGITS)
  images, labels = idx_files.read_split('eval', EVAL_DIGITS + SPAN_TEST_DIGITS)
  idx_files.write_data_root(folder / 'data', {
      'train': train, 'eval': (images[EVAL_DIGITS:], labels[EVAL_DIGITS:])})
  idx_files.write_data_root(folder / 'eval', {
      'eval': (images[:EVAL_DIGITS], labels[:EVAL_DIGITS])})
  return {'data_root': str(folder / 'data'), 'eval_root': str(folder / 'eval')}


def make_trained(folder) -> dict:
  """IdxExampleGen -> ImportSchemaGen -> StartingModel -> Transform -> Trainer.

  Returns artifact JSON under 'examples', 'schema', 'served' (StartingModel's: nothing
  served), 'transform_graph', 'model', 'model_run'; 'data_root', 'eval_root'; 'seconds'.
  """
  from tfx.components.schema_gen.import_schema_gen import executor as schema_executor
  from tfx.components.trainer import executor as trainer_executor
  from mnist_tfx.components.idx_example_gen.component import IdxExampleGen
  from mnist_tfx.components.in_memory_transform.component import InMemoryTransform
  from mnist_tfx.components.starting_model.component import StartingModel
  from mnist_tfx.lib.contracts import ComponentId

  started = time.perf_counter()
  roots = write_data(folder)
  steps = _Steps(exec_properties(pipeline_config(folder, epochs=EPOCHS, seed=SEED, **roots)))
  examples = new('Examples', folder / 'examples')
  steps.run(ComponentId.IDX_EXAMPLE_GEN, IdxExampleGen.EXECUTOR_SPEC.executor_class(), {},
            {'examples': [examples]})
  schema = new('Schema', folder / 'schema')
  steps.run(ComponentId.IMPORT_SCHEMA_GEN, schema_executor.Executor(), {}, {'schema': [schema]})
  served = new('Model', folder / 'served')
  steps.run(ComponentId.STARTING_MODEL, StartingModel.EXECUTOR_SPEC.executor_class(),
            {'examples': [examples]}, {'served': [served]})
  transform_graph = new('TransformGraph', folder / 'transform_graph')
  steps.run(ComponentId.TRANSFORM, InMemoryTransform.EXECUTOR_SPEC.executor_class(
      beam_context(folder)),
            {'examples': [examples], 'schema': [schema]}, {'transform_graph': [transform_graph]})
  model, model_run = new('Model', folder / 'model'), new('ModelRun', folder / 'model_run')
  steps.run(ComponentId.TRAINER, trainer_executor.GenericExecutor(),
            {'examples': [examples], 'transform_graph': [transform_graph], 'schema': [schema],
             'base_model': [served]},
            {'model': [model], 'model_run': [model_run]})
  return {**steps.returned(started, examples=examples, schema=schema, served=served,
                           transform_graph=transform_graph, model=model, model_run=model_run),
          **roots}


def make_evaluated(folder, trained: dict) -> dict:
  """ServedModel on an empty serving directory, then GatedEvaluator on the trained model
  under LOW_GATE. Returns artifact JSON under 'baseline', 'evaluation', 'blessing'; 'seconds'."""
  from mnist_tfx.components.gated_evaluator.component import GatedEvaluator
  from mnist_tfx.components.served_model.component import ServedModel
  from mnist_tfx.lib.contracts import ComponentId

  started = time.perf_counter()
  steps = _Steps(exec_properties(pipeline_config(folder, **LOW_GATE)))
  model = artifact(trained['model'])
  baseline = new('Model', folder / 'baseline')
  steps.run(ComponentId.SERVED_MODEL, ServedModel.EXECUTOR_SPEC.executor_class(),
            {'candidate': [model]}, {'baseline': [baseline]})
  evaluation = new('ModelEvaluation', folder / 'evaluation')
  blessing = new('ModelBlessing', folder / 'blessing')
  steps.run(ComponentId.EVALUATOR, GatedEvaluator.EXECUTOR_SPEC.executor_class(
      beam_context(folder)),
            {'examples': [artifact(trained['examples'])], 'model': [model],
             'baseline_model': [baseline]},
            {'evaluation': [evaluation], 'blessing': [blessing]})
  return steps.returned(started, baseline=baseline, evaluation=evaluation, blessing=blessing)


def make_described(folder, trained: dict) -> dict:
  """StatisticsGen (with the schema) then DataGate on the trained model's examples. Returns
  artifact JSON under 'statistics', 'anomalies'; 'seconds'."""
  from mnist_tfx.components.data_gate.component import DataGate
  from mnist_tfx.components.in_memory_statistics_gen.component import InMemoryStatisticsGen
  from mnist_tfx.lib.contracts import ComponentId

  started = time.perf_counter()
  steps = _Steps(exec_properties(pipeline_config(folder)))
  statistics = new('ExampleStatistics', folder / 'statistics')
  schema = artifact(trained['schema'])
  steps.run(ComponentId.STATISTICS_GEN, InMemoryStatisticsGen.EXECUTOR_SPEC.executor_class(
      beam_context(folder)),
            {'examples': [artifact(trained['examples'])], 'schema': [schema]},
            {'statistics': [statistics]})
  anomalies = new('ExampleAnomalies', folder / 'anomalies')
  steps.run(ComponentId.DATA_GATE, DataGate.EXECUTOR_SPEC.executor_class(),
            {'statistics': [statistics], 'schema': [schema]}, {'anomalies': [anomalies]})
  return steps.returned(started, statistics=statistics, anomalies=anomalies)


def serving_model(model_json: dict) -> str:
  """The SavedModel folder of a Model artifact (Format-Serving)."""
  from tfx.utils import path_utils
  return path_utils.serving_model_path(artifact(model_json).uri)


def push(model_dir: str, serving, folder, max_latency_ms: Optional[float] = None):
  """AtomicPusher's executor, as the Pusher step runs it, on a blessed copy of the SavedModel
  in model_dir; the model, its blessing and the pushed model go under folder. Returns the
  pushed model (its marks say whether and where it was published). max_latency_ms: the
  canary's bound, by default the configuration's."""
  from tfx.types import standard_artifacts
  from mnist_tfx.components.atomic_pusher import executor
  from mnist_tfx.lib import contracts
  from mnist_tfx.pipeline import configs
  if max_latency_ms is None:
    max_latency_ms = configs.PipelineConfig().canary_max_latency_ms
  model = standard_artifacts.Model()
  model.uri = os.path.join(str(folder), 'model')
  shutil.copytree(model_dir, os.path.join(model.uri, 'Format-Serving'))
  blessing = standard_artifacts.ModelBlessing()
  blessing.uri = os.path.join(str(folder), 'blessing')
  blessing.set_int_custom_property(contracts.Property.BLESSED, 1)
  pushed = standard_artifacts.PushedModel()
  pushed.uri = os.path.join(str(folder), 'pushed')
  executor.Executor().Do(
      {'model': [model], 'model_blessing': [blessing]}, {'pushed_model': [pushed]},
      {'push_destination': json.dumps({'filesystem': {'base_directory': str(serving)}}),
       'custom_config': json.dumps({executor.MAX_LATENCY_MS: max_latency_ms})})
  return pushed


def publish(model_json: dict, serving, extra: Optional[Dict[str, str]] = None,
            staging=None) -> str:
  """Publishes the model as a new served version with lib/serving_dir.publish, as a push
  does (a manifest, atomically; no canary); returns the version.

  extra: {path inside the model: text}, files added to the model before it is published
  (they are part of it, in its manifest), so that two versions differ; staged under
  `staging`.
  """
  from mnist_tfx.lib import serving_dir
  source = serving_model(model_json)
  if extra:
    copy = os.path.join(str(staging), 'model')
    shutil.copytree(source, copy)
    for path, text in extra.items():
      os.makedirs(os.path.dirname(os.path.join(copy, path)), exist_ok=True)
      with open(os.path.join(copy, path), 'w') as f:
        f.write(text)
    source = copy
  return serving_dir.publish(source, str(serving))


def answers(model_dir: str, split_uri: str) -> Tuple[np.ndarray, np.ndarray]:
  """(labels, the model's digits) of every example in a split's folder, in file order,
  asked through serving_default as TF Serving and the Evaluator ask it."""
  import tensorflow as tf
  from mnist_tfx.lib import contracts
  from mnist_tfx.lib import features
  predict = tf.saved_model.load(model_dir).signatures[contracts.Signature.SERVING_DEFAULT]
  files = sorted(tf.io.gfile.glob(os.path.join(split_uri, '*.gz')))
  spec = {features.LABEL_KEY: tf.io.FixedLenFeature([], tf.int64)}
  labels, digits = [], []
  for batch in tf.data.TFRecordDataset(files, compression_type='GZIP').batch(1000):
    labels.append(tf.io.parse_example(batch, spec)[features.LABEL_KEY].numpy())
    digits.append(predict(examples=batch)['digit'].numpy())
  return np.concatenate(labels), np.concatenate(digits)


def split_uri(examples_json: dict, split: str) -> str:
  """The folder of one split of an Examples artifact."""
  from tfx.types import artifact_utils
  return artifact_utils.get_split_uri([artifact(examples_json)], split)
