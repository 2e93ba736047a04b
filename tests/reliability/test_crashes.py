"""Crashes, a full disk and a damaged served model, on one output folder, step by step.

The run is killed (SIGKILL) during ingestion, Transform, Trainer, Evaluator and Pusher
in turn; each next run must reuse what finished before, and the last one completes
and pushes exactly one version. Then the served model is damaged by hand, and the
disk fills while the run pushes its replacement; with room again, the next run
pushes it. Each step builds on the folder the previous one left, so the tests run in
file order and share `story`.
"""

import glob
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from mnist_tfx.pipeline import configs
from mnist_tfx.pipeline import run_reader
from tests.support import idx_files
from tests.support.cli_runs import QUICK
from tests.support.cli_runs import component_states
from tests.support.cli_runs import mnist_pipeline
from tests.support.cli_runs import served_versions
from tests.support.folders import snapshot
from tests.reliability.table import command_line

pytestmark = pytest.mark.full

ORDER = ['IdxExampleGen', 'ImportSchemaGen', 'StatisticsGen', 'DataGate', 'Transform',
         'Trainer', 'ServedModel', 'Evaluator', 'Pusher', 'RunReport']


class Story:
  """The output folder the steps share, and what each step left for the next to check."""

  def __init__(self, data_root, output_dir):
    self.data_root = data_root
    self.output_dir = output_dir
    self.killed = []  # (component, what was on disk when it died), in order.


@pytest.fixture(scope='module')
def story(tmp_path_factory, small_data_root):
  return Story(small_data_root, tmp_path_factory.mktemp('crashes'))


def _progress_lines(process, lines: queue.Queue):
  for line in process.stdout:
    lines.put(line)
  lines.put(None)


def _wait_for(lines: queue.Queue, words, seen: list, timeout=900):
  deadline = time.time() + timeout
  while time.time() < deadline:
    line = lines.get(timeout=deadline - time.time())
    if line is None:
      raise AssertionError(f'the run ended before {words}:\n{"".join(seen)}')
    seen.append(line)
    if line.split()[-2:] == words:
      return
  raise AssertionError(f'no {words} within {timeout} s')


def _poll(found, timeout=120):
  """Waits until found() returns something (a description); returns it."""
  deadline = time.time() + timeout
  while time.time() < deadline:
    what = found()
    if what:
      return what
    time.sleep(0.001)
  raise AssertionError(f'nothing to kill into within {timeout} s')


def _kill_during(story: Story, component: str, moment) -> str:
  """Starts a run, SIGKILLs it at `moment` inside `component`; returns what moment saw."""
  process = subprocess.Popen(
      [sys.executable, '-m', 'mnist_tfx.app.cli', 'run', '--data-root', str(story.data_root),
       '--output-dir', str(story.output_dir), *QUICK],
      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
  lines, seen = queue.Queue(), []
  threading.Thread(target=_progress_lines, args=(process, lines), daemon=True).start()
  try:
    _wait_for(lines, [component, 'running'], seen)
    what = moment(story)
  finally:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
  while (line := lines.get(timeout=60)) is not None:
    seen.append(line)
  assert not any(line.split()[-2:] == [component, 'done'] for line in seen), \
      f'{component} finished before the kill'
  story.killed.append((component, what))
  return what


def _pipeline_dir(story, *parts):
  return os.path.join(story.output_dir, 'pipeline', *parts)


def _while_ingesting(story):
  return _poll(lambda: glob.glob(_pipeline_dir(story, 'IdxExampleGen', 'examples', '*',
                                               'Split-*')) and 'with TFRecords half written')


def _after_seconds(seconds):
  def moment(unused_story):
    time.sleep(seconds)
    return f'{seconds} s into it'
  return moment


def _while_training(story):
  _poll(lambda: glob.glob(_pipeline_dir(story, 'Trainer', 'model_run', '*', 'train')))
  time.sleep(2)
  return 'with training under way (TensorBoard logs written)'


def _while_pushing(story):
  serving = os.path.join(story.output_dir, 'serving')
  def entry():
    names = os.listdir(serving) if os.path.isdir(serving) else []
    hidden = [n for n in names if n.startswith('.incoming-')]
    return ((hidden and 'with a half-copied hidden version present') or
            (names and 'after the version was renamed in, before ML Metadata recorded it'))
  return _poll(entry)


def _last_states(output_dir):
  """{component: state word} of the newest run in ML Metadata (which must be readable)."""
  record = run_reader.all_runs(configs.PipelineConfig(output_dir=str(output_dir)).metadata_path)[-1]
  return {step.name: step.state for step in record.components}


KILLS = [
    ('IdxExampleGen', _while_ingesting),
    ('Transform', _after_seconds(3)),
    ('Trainer', _while_training),
    ('Evaluator', _after_seconds(3)),
    ('Pusher', _while_pushing),
]


@pytest.mark.parametrize('component,moment', KILLS, ids=[k for k, _ in KILLS])
def test_1_killed_during_each_component_the_next_run_starts_there(
    story, component, moment, record):
  what = _kill_during(story, component, moment)
  states = _last_states(story.output_dir)  # Read after a SIGKILL: the store is usable.
  done_before = ORDER[:ORDER.index(component)]
  observed = (f'killed {what}; ML Metadata readable; {component}: '
              f'{states.get(component, "not yet recorded")}; cached (finished by the run '
              'before): '
              f'{", ".join(c for c in done_before if states.get(c) == "cached") or "none"}')
  record(f'SIGKILL during {component}',
         f'{component} not complete; the earlier components cached, not rerun; '
         'nothing pushed by a killed run unless it is whole',
         observed, command_line('run', '--data-root', story.data_root, '--output-dir',
                                story.output_dir, *QUICK, DATA=story.data_root,
                                OUT=story.output_dir) + '  # then kill -9')
  assert states.get(component) != 'ran'
  if len(story.killed) > 1:  # The run before was killed later than this one started.
    ran_before = ORDER[:ORDER.index(story.killed[-2][0])]
    assert all(states[c] == 'cached' for c in ran_before), states
  from mnist_tfx.lib import serving_dir  # pylint: disable=g-import-not-at-top
  serving = os.path.join(story.output_dir, 'serving')
  versions = serving_dir.versions(serving)  # A hidden half-copy is no version.
  assert len(versions) <= 1
  assert all(serving_dir.problem(serving, version) is None for version in versions)


def test_2_the_next_run_completes_and_pushes_exactly_one_version(story, record):
  args = ('run', '--data-root', story.data_root, '--output-dir', story.output_dir, *QUICK)
  result = mnist_pipeline(*args)
  states = component_states(result.stdout)
  versions = served_versions(story.output_dir)
  from mnist_tfx.app import history  # pylint: disable=g-import-not-at-top
  config = configs.PipelineConfig(output_dir=str(story.output_dir))
  runs = history.runs(config).strip().splitlines()[1:]
  lineage = history.lineage(config, versions[-1]) if versions else ''
  record('the run after five kills',
         'completes (exit 0); everything before Pusher cached; exactly one version in all; '
         'no hidden leftovers; history and lineage readable',
         f'exit {result.returncode}; ran: {", ".join(c for c, s in states.items() if s == "ran")}; '
         f'cached: {sum(s == "cached" for s in states.values())}; versions: {len(versions)}; '
         f'serving folder: {sorted(os.listdir(story.output_dir / "serving"))}; '
         f'history lists {len(runs)} runs; lineage {"found" if "Trainer" in lineage else "MISSING"}',
         command_line(*args, DATA=story.data_root, OUT=story.output_dir))
  assert result.returncode == 0
  assert all(states[c] == 'cached' for c in ORDER[:ORDER.index('Pusher')]), states
  assert states['Pusher'] == 'ran' and states['RunReport'] == 'ran'
  assert len(versions) == 1
  assert os.listdir(story.output_dir / 'serving') == versions  # No .incoming- leftovers.
  assert len(runs) == 6  # Five killed, then this one.
  assert 'Trainer' in lineage


def _mount_small_disk(folder, free_bytes):
  """Puts `folder` on a tmpfs with its files and about free_bytes left; returns the unmount."""
  keep = f'{folder}.kept'
  os.rename(folder, keep)
  os.mkdir(folder)
  used = sum(os.path.getsize(os.path.join(r, n)) for r, _, names in os.walk(keep) for n in names)
  size_kb = (used + free_bytes) // 1024 + 64
  mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size_kb}k', 'tmpfs', folder],
                           capture_output=True, text=True, check=False)
  if mounted.returncode != 0:
    os.rmdir(folder)
    os.rename(keep, folder)
    pytest.skip(f'cannot mount a tmpfs here ({mounted.stderr.strip()}): needs root')
  for name in os.listdir(keep):
    shutil.copytree(os.path.join(keep, name), os.path.join(folder, name), symlinks=True)
  def unmount():
    subprocess.run(['umount', folder], check=True)
    os.rmdir(folder)
    os.rename(keep, folder)
  return unmount


def _damage(story) -> str:
  """Flips one byte in the middle of the served version's weights; returns the version."""
  version = served_versions(story.output_dir)[-1]
  data = glob.glob(str(story.output_dir / 'serving' / version / 'variables' / 'variables.data*'))
  with open(data[0], 'r+b') as f:
    f.seek(os.path.getsize(data[0]) // 2)
    byte = f.read(1)
    f.seek(-1, os.SEEK_CUR)
    f.write(bytes([byte[0] ^ 0xFF]))
  return version


def _notice(result):
  lines = [line for line in result.stdout.splitlines() if line.startswith('served model:')]
  return lines[0] if lines else ''


def test_3_a_damaged_served_model_is_noticed_and_a_full_disk_stops_its_replacement(
    story, record):
  damaged = _damage(story)
  serving = str(story.output_dir / 'serving')
  before = snapshot(serving)
  args = ('run', '--data-root', story.data_root, '--output-dir', story.output_dir, *QUICK)
  unmount = _mount_small_disk(serving, free_bytes=1 << 20)  # The model is about 4.5 MB.
  try:
    result = mnist_pipeline(*args)
    after = snapshot(serving)
    names = sorted(os.listdir(serving))
  finally:
    unmount()
  states = component_states(result.stdout)
  error = [line for line in result.stdout.splitlines() if line.startswith('error:')]
  command = command_line(*args, DATA=story.data_root, OUT=story.output_dir)
  blessed = 'blessed:       yes' in result.stdout
  record('served model damaged by hand (one byte of its weights flipped)',
         'the next run notices and says so in its summary; the absolute gate alone decides',
         f'`{_notice(result)}`; ServedModel {states.get("ServedModel")}, Trainer '
         f'{states.get("Trainer")}, blessed: {"yes" if blessed else "no"}', command)
  record('disk full while the Pusher copies the replacement (1 MB free on serving/)',
         'exit 1, one line naming the component and the cause; serving directory '
         'byte-for-byte unchanged', f'exit {result.returncode}; `{error[0] if error else ""}`; '
         f'serving {"unchanged" if after == before else "CHANGED"}, entries {names}',
         command + '  # serving/ on a small tmpfs')
  assert 'DAMAGED' in _notice(result) and f'serving/{damaged}/variables' in _notice(result)
  assert states['Trainer'] == 'cached' and states['ServedModel'] == 'ran' and blessed
  assert result.returncode == 1 and states['Pusher'] == 'FAILED'
  assert len(error) == 1 and error[0].startswith('error: Pusher failed:')
  assert 'No space left on device' in error[0]
  assert result.stdout.strip().endswith('Nothing was pushed.')
  assert after == before and names == served_versions(story.output_dir)


def test_4_with_room_again_a_good_model_replaces_the_damaged_one(story, record):
  args = ('run', '--data-root', story.data_root, '--output-dir', story.output_dir, *QUICK)
  result = mnist_pipeline(*args)
  states = component_states(result.stdout)
  versions = served_versions(story.output_dir)
  record('the next run, with room on the disk again', 'the good model is pushed over the '
         'damaged one (exit 0); everything before the Pusher cached',
         f'exit {result.returncode}; Pusher {states.get("Pusher")}; versions {len(versions)}; '
         f'cached: {sum(s == "cached" for s in states.values())}',
         command_line(*args, DATA=story.data_root, OUT=story.output_dir))
  assert result.returncode == 0
  assert all(states[c] == 'cached' for c in ORDER[:ORDER.index('Pusher')]), states
  assert len(versions) == 2
  from mnist_tfx.lib import serving_dir  # pylint: disable=g-import-not-at-top
  assert serving_dir.problem(str(story.output_dir / 'serving'), versions[-1]) is None


def test_5_with_the_flag_a_damaged_served_model_stops_the_run(story, record):
  damaged = _damage(story)
  before = snapshot(story.output_dir / 'serving')
  args = ('run', '--data-root', story.data_root, '--output-dir', story.output_dir, *QUICK,
          '--refuse-corrupt-served-model')
  result = mnist_pipeline(*args)
  error = [line for line in result.stdout.splitlines() if line.startswith('error:')]
  record('served model damaged, run with --refuse-corrupt-served-model',
         'exit 1, one line naming the damaged file; nothing pushed',
         f'exit {result.returncode}; `{error[0] if error else "no error line"}`; served files '
         f'{"unchanged" if snapshot(story.output_dir / "serving") == before else "CHANGED"}',
         command_line(*args, DATA=story.data_root, OUT=story.output_dir))
  assert result.returncode == 1
  assert len(error) == 1 and f'served version {damaged} is damaged' in error[0]
  assert snapshot(story.output_dir / 'serving') == before


def test_a_model_trained_on_shuffled_labels_is_never_pushed(tmp_path, mnist_arrays, record):
  images, labels = mnist_arrays['train']
  shuffled = np.random.default_rng(0).permutation(labels)
  root = tmp_path / 'data'
  idx_files.write_data_root(root, {'train': (images, shuffled), 'eval': mnist_arrays['eval']})
  output_dir = tmp_path / 'outputs'
  args = ('run', '--data-root', root, '--output-dir', output_dir, *QUICK,
          '--train-limit', '2000')
  result = mnist_pipeline(*args)
  accuracy = [line for line in result.stdout.splitlines() if line.startswith('test accuracy:')]
  record('first run, on training labels shuffled (nothing served yet: no baseline)',
         'not blessed by the absolute gate (exit 3); nothing pushed',
         f'exit {result.returncode}; `{accuracy[0] if accuracy else "no accuracy"}`; versions '
         f'{len(served_versions(output_dir))}', command_line(*args, DATA=root, OUT=output_dir))
  assert result.returncode == 3
  assert 'blessed:       no' in result.stdout
  assert served_versions(output_dir) == []


def test_a_disk_that_fills_during_ingestion_stops_the_run_with_one_line(tmp_path, record):
  output_dir = tmp_path / 'outputs'
  output_dir.mkdir()
  unmount = _mount_small_disk(str(output_dir), free_bytes=2 << 20)
  try:
    args = ('run', '--data-root', idx_files.MNIST, '--output-dir', output_dir, '--epochs', '1')
    result = mnist_pipeline(*args)
    states = component_states(result.stdout)
    names = sorted(os.listdir(output_dir))
  finally:
    unmount()
  errors = [line for line in result.stdout.splitlines() if line.startswith('error:')]
  record('disk full during ingestion (output folder on a 2 MB tmpfs, all 70,000 digits)',
         'exit 1, one line naming the cause; nothing pushed',
         f'exit {result.returncode}; `{errors[0] if errors else "no error line"}`; '
         f'IdxExampleGen {states.get("IdxExampleGen")}; serving folder: '
         f'{"none" if "serving" not in names else "present"}',
         command_line(*args, OUT=output_dir) + '  # OUT on a 2 MB tmpfs')
  assert result.returncode == 1
  assert len(errors) == 1 and 'No space left on device' in errors[0], result.stderr
  assert errors[0].startswith(('error: IdxExampleGen failed:', 'error: the run failed:'))
  assert states.get('IdxExampleGen') in (None, 'FAILED')  # None: no room left to record it.
  assert 'serving' not in names
