"""The pipeline's configuration: one typed object with defaults.

The command line maps onto it one flag per field; the Kubeflow compile uses the
same object with gs:// paths (and kubeflow/configs.py for the cluster). Paths
derived from output_dir are properties, so no value is kept twice.
"""

import dataclasses
import os
from typing import List, Optional, Tuple

from mnist_tfx.lib import options
from mnist_tfx.trainer_module import training

PIPELINE_NAME = 'mnist-tfx'
SCHEMA_PATH = os.path.join(os.path.dirname(__file__), 'schema', 'schema.pbtxt')

# User code, by module path: the package is installed, so TFX builds no wheel of it.
PREPROCESSING_FN = 'mnist_tfx.trainer_module.preprocessing.preprocessing_fn'
RUN_FN = 'mnist_tfx.trainer_module.trainer.run_fn'

# No arguments: the Beam executors then run Beam's in-memory FnApiRunner with one worker
# (lib/beam_runner.py names it: Beam itself would try PrismRunner first), on two cores the
# fastest Beam mode measured (multi-processing paid seconds of process start-up per
# component); tests/pipeline/test_beam_args.py pins Beam's defaults. Any argument would cost
# more than it says: given Beam arguments and no dependency flag among them, every TFX
# Beam executor packages the installed TFX for remote workers before it starts (an sdist
# built by a setup.py run, 1.3 to 2 s, and a 41 MB copy of TFX left in the temp folder;
# tfx/utils/dependency_utils.py). The in-memory runner has no remote workers.
LOCAL_BEAM_ARGS = ()

# Where the default data root and output folder live, the same whatever the current folder:
# $MNIST_TFX_HOME if set; else the checkout this package runs from (bin/run and the editable
# install of bin/setup: its folder holds pyproject.toml); else ~/mnist-tfx (an installed
# wheel, as in the Kubeflow image, whose runs are given gs:// paths).
HOME_VARIABLE = 'MNIST_TFX_HOME'
_CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _home() -> str:
  if os.environ.get(HOME_VARIABLE):
    return os.path.abspath(os.path.expanduser(os.environ[HOME_VARIABLE]))
  if os.path.exists(os.path.join(_CHECKOUT, 'pyproject.toml')):
    return _CHECKOUT
  return os.path.join(os.path.expanduser('~'), 'mnist-tfx')


HOME = _home()


def field(default, help_text: str, choices: Optional[Tuple[str, ...]] = None,
          allowed: Optional[options.Allowed] = None):
  """A field with a default and its command-line help: the command line makes a flag of it,
  and refuses a value outside `allowed` (lib/options.py) before anything runs."""
  return dataclasses.field(default=default,
                           metadata={'help': help_text, 'choices': choices, 'allowed': allowed})


# Keras mixed-precision policies. float32 is the default everywhere: the others were not
# measured on the hardware they are for (see BENCHMARKS.md).
PRECISIONS = ('float32', 'mixed_float16', 'mixed_bfloat16')

# The Trainer seeds through tf.keras.utils.set_random_seed, which calls np.random.seed: NumPy
# 1.26 takes 0 to 2**32 - 1 there and raises on anything else (random/_mt19937.pyx,
# _legacy_seeding: "Seed must be between 0 and 2**32 - 1"), after TFX has run for minutes.
LARGEST_SEED = 2**32 - 1
# Accuracies, label shares and their differences are fractions.
FRACTION = options.number(0, 1)
# TFDV's Jensen-Shannon divergence takes log base 2, so it lies between 0 and 1
# (tensorflow/data-validation v1.16.1, anomalies/metrics.cc, JensenShannonDivergence).
JENSEN_SHANNON = options.number(0, 1, 'a Jensen-Shannon divergence, log base 2 as in TFDV')


@dataclasses.dataclass
class PipelineConfig:
  """What a run reads, writes, and how strict its gate is."""
  data_root: str = field(
      os.path.join(HOME, 'data', 'mnist'), 'folder of spans: span-1/, span-2/, ... each with '
      'train-* and optionally t10k-* IDX files; IDX files directly in it are span 1')
  span_window: int = field(1, 'train on the newest N spans', allowed=options.whole(1))
  eval_root: str = field(
      '', "folder whose t10k-* pair is the fixed evaluation set ('': the oldest span's)")
  output_dir: str = field(
      os.path.join(HOME, 'outputs'),
      'everything a run writes: artifacts, ML Metadata, serving directory, logs',
      allowed=options.matching(r'.*\S.*', 'must name a folder'))
  recipe: str = field(
      training.DEFAULT, 'training recipe: fast (5 epochs of batch 128, the rate rising over a '
      'third of an epoch, then falling linearly to 0), course (the course\'s: 10 epochs of '
      'batch 64, the rate from 0.01 times 0.666 per epoch) or augmented (fast\'s schedule over '
      f'{training.AUGMENTED.epochs} epochs, the training digits moved, turned and scaled at '
      'random, labels smoothed by 0.1, the batch norms measured again on the unmoved digits: '
      'about a third fewer errors, in about five times the time); see '
      'trainer_module/training.py',
      choices=tuple(training.RECIPES))
  epochs: int = field(0, "training epochs (0: the recipe's own: fast 5, augmented "
                      f'{training.AUGMENTED.epochs}, more on a span of fewer than 60,000 digits, '
                      'to see as many digits as on 60,000; course 10; '
                      f"{training.WARM.epochs} for a warm start)",
                      allowed=options.whole(0, note="0: the recipe's own"))
  precision: str = field(
      'float32', 'Keras precision policy: float32, mixed_float16 (GPUs of compute capability '
      '7 or more, such as T4 and L4), mixed_bfloat16 (CPUs with AVX512_BF16 or AMX)',
      choices=PRECISIONS)
  train_limit: int = field(0, 'if > 0, train on only the first N examples of each span (quick runs)',
                           allowed=options.whole(0, note='0: every example'))
  accuracy_threshold: float = field(0.99, 'overall test accuracy needed to be blessed',
                                    allowed=FRACTION)
  digit_accuracy_floor: float = field(
      0.98, "each digit's own accuracy floor (lower: one digit at 0.985 is normal noise)",
      allowed=FRACTION)
  max_regression: float = field(
      0.0, 'how much less accurate than the served model a new one may be', allowed=FRACTION)
  label_drift: float = field(
      0.05, 'largest change of any digit\'s share of the training labels from the previous '
      'run\'s (L-infinity distance); beyond it the run stops before training',
      allowed=FRACTION)
  pixel_drift: float = field(
      0.001, 'largest Jensen-Shannon divergence of the pixel-intensity distribution from '
      'the previous run\'s training data; beyond it the run stops before training',
      allowed=JENSEN_SHANNON)
  refuse_corrupt_served_model: bool = field(
      False, 'stop the run when the served model\'s files no longer match what was pushed '
      '(default: judge the new model by the absolute gate alone, so that it can replace it)')
  label_agreement_margin: float = field(
      0.03, "how far the served model's agreement with the new training labels may fall below "
      'its own test accuracy; beyond it the run stops before training (the labels look wrong)',
      allowed=FRACTION)
  cold_start: bool = field(
      False, 'train from random weights with --recipe even when a model is served (default: '
      'start from the weights of the model served when the data arrived, if it has the same '
      'architecture, and train the shorter warm schedule; see trainer_module/training.py)')
  canary_max_latency_ms: float = field(
      100.0, "the canary's bound on the staged version's answer to one digit (median of 20 "
      'calls, each signature), in milliseconds; above it the version is not published',
      allowed=options.more_than(0, 'ms'))
  seed: Optional[int] = field(None, 'seed for weights and shuffling, a whole number from 0 to '
                              f'{LARGEST_SEED}: on one CPU machine, the same data and seed train '
                              'the same model, to the bit; left out, one is drawn at random',
                              allowed=options.whole(0, LARGEST_SEED, "NumPy's seeds"))
  beam_pipeline_args: List[str] = dataclasses.field(
      default_factory=lambda: list(LOCAL_BEAM_ARGS))
  # The curated schema, as a path where the pipeline runs: in the Kubeflow image
  # the project lives elsewhere than on this machine (see kubeflow/compiler.py).
  schema_file: str = SCHEMA_PATH

  @property
  def pipeline_root(self) -> str:
    return os.path.join(self.output_dir, 'pipeline')

  @property
  def metadata_path(self) -> str:
    return os.path.join(self.output_dir, 'metadata.sqlite')

  @property
  def serving_dir(self) -> str:
    """The TF Serving model base path: numbered versions below it."""
    return os.path.join(self.output_dir, 'serving')

  @property
  def log_dir(self) -> str:
    return os.path.join(self.output_dir, 'logs')
