"""What TFX's cache must see but no component reads: the cache keys, computed and named here.

TFX keys an execution on its input artifacts and parameters
(tfx/orchestration/portable/cache_utils.py, get_cache_context). IdxExampleGen reads
files named by a path, Transform and the Trainer run code named by a module path, and
ServedModel reads the serving directory by its path: none of these would be a cache
miss when what lies behind the path changes. So each component gets one more value
that it never reads, its `cache_key` parameter (`custom_config`'s CUSTOM_CONFIG_KEY
for the stock Transform, TrainerSettings.cache_key for the Trainer). Dropping one
would break the cache without an error: tests/pipeline/test_cache_keys.py changes each
and checks that TFX's cache key of the component that must run again changes.
"""

import dataclasses

from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import fingerprint

CUSTOM_CONFIG_KEY = 'cache_key'


@dataclasses.dataclass(frozen=True)
class CacheKeys:
  """Empty keys are for runs without the cache (Kubeflow's, and the tests' own)."""
  # IdxExampleGen: names, sizes and times of the data files (fingerprint.data_fingerprint).
  data: str = ''
  # Transform and the Trainer: the content of the code they run (fingerprint.code_fingerprint).
  code: str = ''
  # ServedModel: why the newest served version is damaged, '' if it is whole. Damage must
  # run ServedModel and the Evaluator again; a new whole version must not, or the run
  # after a rollback, with the same data and code, would push its candidate over it.
  served: str = ''


def for_local_run(config: configs.PipelineConfig) -> CacheKeys:
  """The keys as the data, the code and the serving directory are now. ServedModel checks
  the served version once more when it runs: that check is the one a Kubeflow run has."""
  from mnist_tfx.lib import serving_dir  # pylint: disable=g-import-not-at-top (TFX's fileio)
  served = serving_dir.latest_version(config.serving_dir)
  return CacheKeys(
      data=fingerprint.data_fingerprint(config.data_root, config.eval_root),
      code=fingerprint.code_fingerprint(),
      served=(serving_dir.problem(config.serving_dir, served) or '') if served else '')
