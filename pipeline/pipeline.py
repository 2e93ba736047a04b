"""The MNIST pipeline: create_pipeline only creates and wires components.

TFX is imported by module, not through `tfx.v1`: that public facade also imports
google-cloud-aiplatform, which costs about 20 s of start-up on every run here.
"""

from typing import Optional

from ml_metadata.proto import metadata_store_pb2
from tfx.components import Trainer
from tfx.components.schema_gen.import_schema_gen.component import ImportSchemaGen
from tfx.orchestration import pipeline as tfx_pipeline
from tfx.proto import pusher_pb2
from tfx.proto import transform_pb2

from mnist_tfx.components.atomic_pusher import executor as pusher_executor
from mnist_tfx.components.atomic_pusher.component import AtomicPusher
from mnist_tfx.components.data_gate.component import DataGate
from mnist_tfx.components.gated_evaluator.component import GatedEvaluator
from mnist_tfx.components.idx_example_gen.component import IdxExampleGen
from mnist_tfx.components.in_memory_statistics_gen.component import InMemoryStatisticsGen
from mnist_tfx.components.in_memory_transform.component import InMemoryTransform
from mnist_tfx.components.label_check.component import LabelCheck
from mnist_tfx.components.run_report.component import RunReport
from mnist_tfx.components.served_model.component import ServedModel
from mnist_tfx.components.span_test.component import SpanTest
from mnist_tfx.components.starting_model.component import StartingModel
from mnist_tfx.lib import payloads
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.lib.contracts import Output
from mnist_tfx.pipeline import cache_keys
from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import gate


def create_pipeline(
    config: configs.PipelineConfig,
    keys: cache_keys.CacheKeys = cache_keys.CacheKeys(),
    metadata_connection_config: Optional[metadata_store_pb2.ConnectionConfig] = None,
    enable_cache: bool = True,
) -> tfx_pipeline.Pipeline:
  """IDX files -> validated examples -> Transform -> Trainer -> gate -> serving directory.

  `keys` go to the components' `cache_key` parameters, which only TFX's cache reads
  (pipeline/cache_keys.py); with caching off they can stay empty.
  """
  # Reads the IDX files as tf.Examples: train from the newest spans, eval from
  # the fixed test set, previous (for drift) from the spans the last run trained on.
  example_gen = IdxExampleGen(
      data_root=config.data_root,
      span_window=config.span_window,
      eval_root=config.eval_root,
      train_limit=config.train_limit,
      cache_key=keys.data).with_id(ComponentId.IDX_EXAMPLE_GEN)

  # The curated schema from the repository: imported, never re-inferred.
  schema_gen = ImportSchemaGen(
      schema_file=config.schema_file).with_id(ComponentId.IMPORT_SCHEMA_GEN)

  # Statistics of every split, for validation and for people to look at; the
  # schema makes the label categorical, so its distribution is counted per digit.
  # Here and in Transform and the Evaluator, Beam runs in memory unless told otherwise
  # (lib/beam_runner.py).
  statistics_gen = InMemoryStatisticsGen(
      examples=example_gen.outputs[Output.EXAMPLES],
      schema=schema_gen.outputs['schema']).with_id(ComponentId.STATISTICS_GEN)

  # Stops the run on any anomaly against the schema, or on drift from the
  # previous run's training data, before anything trains.
  data_gate = DataGate(
      statistics=statistics_gen.outputs['statistics'],
      schema=schema_gen.outputs['schema'],
      label_drift=config.label_drift,
      pixel_drift=config.pixel_drift).with_id(ComponentId.DATA_GATE)

  # The model served when the data arrived: the label check reads with it and the
  # Trainer starts from it. Keyed on the examples, not on what is served, so that a
  # run's own push does not make the next run with the same data train again.
  starting_model = StartingModel(
      examples=example_gen.outputs[Output.EXAMPLES],
      serving_dir=config.serving_dir).with_id(ComponentId.STARTING_MODEL)
  starting_model.add_upstream_node(data_gate)

  # The served model reads the new training digits: labels it disagrees with far more
  # than with the test digits' stop the run before anything trains on them.
  label_check = LabelCheck(
      examples=example_gen.outputs[Output.EXAMPLES],
      served=starting_model.outputs[Output.SERVED],
      margin=config.label_agreement_margin).with_id(ComponentId.LABEL_CHECK)

  # Normalizes the pixels with train-split statistics; the graph also serves.
  transform = InMemoryTransform(
      examples=example_gen.outputs[Output.EXAMPLES],
      schema=schema_gen.outputs['schema'],
      preprocessing_fn=configs.PREPROCESSING_FN,
      # Statistics from train only; `previous` is there for the drift check alone.
      splits_config=transform_pb2.SplitsConfig(analyze=['train']),
      # The Trainer applies the graph as it reads (trainer_module/inputs.py): writing
      # 70,000 transformed images as gzipped floats took longer than the analysis.
      materialize=False,
      # StatisticsGen already describes the raw data; skipping Transform's own
      # pre- and post-transform statistics saves a pass over every example.
      disable_statistics=True,
      custom_config={cache_keys.CUSTOM_CONFIG_KEY: keys.code}).with_id(ComponentId.TRANSFORM)
  transform.add_upstream_node(label_check)

  trainer_settings = payloads.TrainerSettings(
      recipe=config.recipe, epochs=config.epochs, cold_start=int(config.cold_start),
      precision=config.precision, seed=config.seed, cache_key=keys.code)
  # Trains the course's batch-norm CNN and exports both serving signatures: from the
  # starting model's weights when it has the same architecture (a shorter schedule),
  # else from random weights.
  trainer = Trainer(
      run_fn=configs.RUN_FN,
      examples=example_gen.outputs[Output.EXAMPLES],
      transform_graph=transform.outputs['transform_graph'],
      schema=schema_gen.outputs['schema'],
      base_model=starting_model.outputs[Output.SERVED],
      custom_config=trainer_settings.to_custom_config()).with_id(ComponentId.TRAINER)

  # The model being served now: the baseline to beat (a Resolver Kubeflow can run).
  served_model = ServedModel(
      candidate=trainer.outputs['model'],
      serving_dir=config.serving_dir,
      refuse_corrupt=int(config.refuse_corrupt_served_model),
      cache_key=keys.served).with_id(ComponentId.SERVED_MODEL)

  # Blesses the candidate only above the gate's thresholds on the eval split.
  evaluator = GatedEvaluator(
      examples=example_gen.outputs[Output.EXAMPLES],
      model=trainer.outputs['model'],
      baseline_model=served_model.outputs[Output.BASELINE],
      eval_config=gate.eval_config(config.accuracy_threshold,
                                   config.digit_accuracy_floor,
                                   config.max_regression)).with_id(ComponentId.EVALUATOR)

  # The candidate on each trained span's own test digits, beside the fixed set: shows
  # whether new data looks like the old. Not a gate: only the fixed set compares models.
  span_test = SpanTest(
      examples=example_gen.outputs[Output.EXAMPLES],
      model=trainer.outputs['model']).with_id(ComponentId.SPAN_TEST)

  # Stages a blessed model, checks it in a fresh process (the canary), and publishes it
  # into the serving directory as a new version.
  pusher = AtomicPusher(
      model=trainer.outputs['model'],
      model_blessing=evaluator.outputs['blessing'],
      push_destination=pusher_pb2.PushDestination(
          filesystem=pusher_pb2.PushDestination.Filesystem(
              base_directory=config.serving_dir)),
      custom_config={pusher_executor.MAX_LATENCY_MS: config.canary_max_latency_ms},
  ).with_id(ComponentId.PUSHER)

  # Last: one HTML page of what the run did (curves, confusion, mistakes, data,
  # verdict), an artifact so that Kubeflow runs have it too.
  run_report = RunReport(
      model=trainer.outputs['model'],
      model_run=trainer.outputs['model_run'],
      examples=example_gen.outputs[Output.EXAMPLES],
      statistics=statistics_gen.outputs['statistics'],
      anomalies=data_gate.outputs['anomalies'],
      label_check=label_check.outputs[Output.CHECK],
      span_tests=span_test.outputs[Output.SPAN_TESTS],
      baseline=served_model.outputs[Output.BASELINE],
      evaluation=evaluator.outputs['evaluation'],
      blessing=evaluator.outputs['blessing'],
      pushed_model=pusher.outputs['pushed_model'],
      accuracy_threshold=config.accuracy_threshold,
      digit_accuracy_floor=config.digit_accuracy_floor,
      max_regression=config.max_regression,
      data_root=config.data_root,
      trainer_settings=trainer_settings.to_json()).with_id(ComponentId.RUN_REPORT)

  return tfx_pipeline.Pipeline(
      pipeline_name=configs.PIPELINE_NAME,
      pipeline_root=config.pipeline_root,
      components=[example_gen, statistics_gen, schema_gen, data_gate, starting_model,
                  label_check, transform, trainer, served_model, evaluator, span_test, pusher,
                  run_report],
      enable_cache=enable_cache,
      metadata_connection_config=metadata_connection_config,
      beam_pipeline_args=config.beam_pipeline_args)
