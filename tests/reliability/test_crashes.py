"""Crashes, a full disk and a damaged served model, on one output folder, step by step.

The run is killed (SIGKILL) during ingestion, Transform, Trainer, Evaluator and Pusher
in turn; each next run must reuse what finished before, and the last one completes
and pushes exactly one version. Then the served model is damaged by hand, and the
disk fills while the run pushes its replacement; with room again, the next run
pushes it; then, with --refuse-corrupt-served-model, a damaged model stops the run.
Each step builds on the folder the previous one left: one module fixture runs them
all in order, and each test checks what one step saw.
"""

import dataclasses
import glob
import os
import pathlib
import queue
import signal
import threading
import time

import pytest

from mnist_tfx.lib import serving_dir
from mnist_tfx.lib.contracts import ComponentId
from mnist_tfx.pipeline import configs
from tests.reliability.table import command_line
from tests.support.cli_runs import QUICK
from tests.support.cli_runs import component_states
from tests.support.cli_runs import run_cli
from tests.support.cli_runs import start_cli
from tests.support.cli_runs import served_versions
from tests.support.folders import mount_small_disk
from tests.support.folders import snapshot

pytestmark = pytest.mark.full

ORDER = list(ComponentId.ORDER)


@dataclasses.dataclass
class Killed:
  """A run SIGKILLed inside a component, and what the output folder held afterwards."""
  component: str
  moment: str  # What was under way when it died.
  states: dict  # {component: state} of that run, from ML Metadata.
  versions: list  # Served versions afterwards.
  damaged: list  # Those whose files do not match their manifest.


@dataclasses.dataclass
class Story:
  """The output folder the steps share, and what each step left."""
  data_root: str
  output_dir: pathlib.Path
  killed: list = dataclasses.field(default_factory=list)
  steps: dict = dataclasses.field(default_factory=dict)  # Step name: what it observed.


@pytest.fixture(scope='module')
def story(tmp_path_factory, small_data_root):
  """Every step, in order, on one output folder; the tests below only read what each saw.

  Kept in one fixture because each step builds on the folder the previous one left;
  so no test depends on another having run first.
  """
  story = Story(small_data_root, tmp_path_factory.mktemp('crashes'))
  for component, moment in KILLS:
    story.killed.append(_kill_during(story, component, moment))
  story.steps['after the kills'] = _run_after_the_kills(story)
  story.steps['damaged, disk full'] = _damage_then_fill_the_disk(story)
  story.steps['room again'] = _run_with_room_again(story)
  story.steps['refuse damaged'] = _refuse_a_damaged_model(story)
  return story


def _progress_lines(process, lines: queue.Queue):
  for line in process.lines():
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


def _kill_during(story: Story, component: str, moment) -> Killed:
  """Starts a run, SIGKILLs it at `moment` inside `component`; returns what was left."""
  process = start_cli(*_run_args(story))
  lines, seen = queue.Queue(), []
  threading.Thread(target=_progress_lines, args=(process, lines), daemon=True).start()
  try:
    _wait_for(lines, [component, 'running'], seen)
    what = moment(story)
  finally:
    process.send_signal(signal.SIGKILL)
    process.result(timeout=60)
  while (line := lines.get(timeout=60)) is not None:
    seen.append(line)
  assert not any(line.split()[-2:] == [component, 'done'] for line in seen), \
      f'{component} finished before the kill'
  serving = os.path.join(story.output_dir, 'serving')
  versions = serving_dir.versions(serving)  # A hidden half-copy is no version.
  return Killed(component, what, _last_states(story.output_dir), versions,
                [v for v in versions if serving_dir.problem(serving, v) is not None])


def _run_args(story: Story, *flags):
  return ('run', '--data-root', story.data_root, '--output-dir', story.output_dir, *QUICK, *flags)


def _run(story: Story, *flags):
  """A run to its end, on the story's folders (forked warm: tests/support/zygote.py)."""
  return run_cli(story.data_root, story.output_dir, *QUICK, *flags)


def _command(story: Story, *flags) -> str:
  return command_line(*_run_args(story, *flags), DATA=story.data_root, OUT=story.output_dir)


def _last_states(output_dir):
  """{component: state word} of the newest run in ML Metadata (which must be readable)."""
  from mnist_tfx.pipeline import run_reader  # pylint: disable=g-import-not-at-top
  record = run_reader.latest(configs.PipelineConfig(output_dir=str(output_dir)).metadata_path,
                             since=0)
  return {step.name: step.state for step in record.components}


def _pipeline_dir(story, *parts):
  return os.path.join(story.output_dir, 'pipeline', *parts)


def _once_present(story, what: str, *pattern):
  """Waits for a path under the pipeline folder that matches `pattern`; returns `what`.
  Each execution writes under its own id, and these kills come in each step's first
  execution in this story, so no earlier run has left a match."""
  return _poll(lambda: glob.glob(_pipeline_dir(story, *pattern)) and what)


def _while_ingesting(story):
  return _once_present(story, 'with TFRecords half written',
                       'IdxExampleGen', 'examples', '*', 'Split-*')


def _while_analyzing(story):
  # tf.Transform's temporary folder: made as its Beam pipeline starts, removed at the end.
  return _once_present(story, "with tf.Transform's analysis under way (its temporary folder "
                       'present)', 'Transform', 'transform_graph', '*', '.temp_path',
                       'tftransform_tmp')


def _while_evaluating(story):
  # Beam's temporary folder for the metrics: made as TFMA's pipeline starts, a second or
  # more before the first metric is written.
  return _once_present(story, "with TFMA's pipeline under way, no metrics written yet",
                       'Evaluator', 'evaluation', '*', 'beam-temp-metrics-*')


def _while_training(story):
  # TensorBoard's validation folder: made as the first epoch's validation starts, so the
  # second (and last) epoch and the export are still to come.
  return _once_present(story, "with training past its first epoch (TensorBoard's "
                       'validation folder made)', 'Trainer', 'model_run', '*', 'validation')


def _while_pushing(story):
  serving = os.path.join(story.output_dir, 'serving')
  def entry():
    names = os.listdir(serving) if os.path.isdir(serving) else []
    hidden = [n for n in names if n.startswith('.incoming-')]
    return ((hidden and 'with a half-copied hidden version present') or
            (names and 'after the version was renamed in, before ML Metadata recorded it'))
  return _poll(entry)


KILLS = [
    ('IdxExampleGen', _while_ingesting),
    # Moments seen in the output folder, not clocks: Transform and the Evaluator take 2 to
    # 3 s on this small data, and a kill 3 s into them once came after their end. The
    # Trainer's kill, once 2 s after training began, waits for a folder too.
    ('Transform', _while_analyzing),
    ('Trainer', _while_training),
    ('Evaluator', _while_evaluating),
    ('Pusher', _while_pushing),
]


def _run_after_the_kills(story: Story) -> dict:
  from mnist_tfx.app import history  # pylint: disable=g-import-not-at-top
  result = _run(story)
  versions = served_versions(story.output_dir)
  config = configs.PipelineConfig(output_dir=str(story.output_dir))
  return {'result': result, 'states': component_states(result.stdout), 'versions': versions,
          'serving': sorted(os.listdir(story.output_dir / 'serving')),
          'runs': history.runs(config).strip().splitlines()[1:],
          'lineage': history.lineage(config, versions[-1]) if versions else ''}


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


def _damage_then_fill_the_disk(story: Story) -> dict:
  damaged = _damage(story)
  serving = str(story.output_dir / 'serving')
  before = snapshot(serving)
  unmount = mount_small_disk(serving, free_bytes=1 << 20)  # The model is about 4.5 MB.
  if unmount is None:
    return {'skipped': 'cannot mount a tmpfs here: needs root'}
  try:
    result = _run(story)
    after = snapshot(serving)
    names = sorted(os.listdir(serving))
  finally:
    unmount()
  return {'damaged': damaged, 'result': result, 'states': component_states(result.stdout),
          'unchanged': after == before, 'names': names,
          'errors': [line for line in result.stdout.splitlines() if line.startswith('error:')]}


def _run_with_room_again(story: Story) -> dict:
  result = _run(story)
  versions = served_versions(story.output_dir)
  return {'result': result, 'states': component_states(result.stdout), 'versions': versions,
          'newest_problem': serving_dir.problem(str(story.output_dir / 'serving'), versions[-1])}


def _refuse_a_damaged_model(story: Story) -> dict:
  damaged = _damage(story)
  before = snapshot(story.output_dir / 'serving')
  result = _run(story, '--refuse-corrupt-served-model')
  return {'damaged': damaged, 'result': result,
          'unchanged': snapshot(story.output_dir / 'serving') == before,
          'errors': [line for line in result.stdout.splitlines() if line.startswith('error:')]}


def _notice(result):
  lines = [line for line in result.stdout.splitlines() if line.startswith('served model:')]
  return lines[0] if lines else ''


@pytest.mark.parametrize('kill', range(len(KILLS)), ids=[k for k, _ in KILLS])
def test_killed_during_each_component_the_next_run_starts_there(story, kill, record):
  killed = story.killed[kill]
  component, states = killed.component, killed.states
  done_before = ORDER[:ORDER.index(component)]
  observed = (f'killed {killed.moment}; ML Metadata readable; {component}: '
              f'{states.get(component, "not yet recorded")}; cached (finished by the run '
              'before): '
              f'{", ".join(c for c in done_before if states.get(c) == "cached") or "none"}')
  record(f'SIGKILL during {component}',
         f'{component} not complete; the earlier components cached, not rerun; '
         'nothing pushed by a killed run unless it is whole',
         observed, _command(story) + '  # then kill -9')
  assert states.get(component) != 'ran'
  if kill > 0:  # The run before was killed later than this one started.
    ran_before = ORDER[:ORDER.index(story.killed[kill - 1].component)]
    assert all(states[c] == 'cached' for c in ran_before), states
  assert len(killed.versions) <= 1 and not killed.damaged


def test_the_next_run_completes_and_pushes_exactly_one_version(story, record):
  step = story.steps['after the kills']
  states, versions = step['states'], step['versions']
  record('the run after five kills',
         'completes (exit 0); everything before Pusher cached; exactly one version in all; '
         'no hidden leftovers; history and lineage readable',
         f'exit {step["result"].returncode}; '
         f'ran: {", ".join(c for c, s in states.items() if s == "ran")}; '
         f'cached: {sum(s == "cached" for s in states.values())}; versions: {len(versions)}; '
         f'serving folder: {step["serving"]}; history lists {len(step["runs"])} runs; '
         f'lineage {"found" if "Trainer" in step["lineage"] else "MISSING"}',
         _command(story))
  assert step['result'].returncode == 0
  assert all(states[c] == 'cached' for c in ORDER[:ORDER.index('Pusher')]), states
  assert states['Pusher'] == 'ran' and states['RunReport'] == 'ran'
  assert len(versions) == 1
  assert step['serving'] == versions  # No .incoming- leftovers.
  assert len(step['runs']) == 6  # Five killed, then this one.
  assert 'Trainer' in step['lineage']


def test_a_damaged_served_model_is_noticed_and_a_full_disk_stops_its_replacement(
    story, record):
  step = story.steps['damaged, disk full']
  if 'skipped' in step:
    pytest.skip(step['skipped'])
  result, states, error = step['result'], step['states'], step['errors']
  blessed = 'blessed:       yes' in result.stdout
  record('served model damaged by hand (one byte of its weights flipped)',
         'the next run notices and says so in its summary; the absolute gate alone decides',
         f'`{_notice(result)}`; ServedModel {states.get("ServedModel")}, Trainer '
         f'{states.get("Trainer")}, blessed: {"yes" if blessed else "no"}', _command(story))
  record('disk full while the Pusher copies the replacement (1 MB free on serving/)',
         'exit 1, one line naming the component and the cause; serving directory '
         'byte-for-byte unchanged', f'exit {result.returncode}; `{error[0] if error else ""}`; '
         f'serving {"unchanged" if step["unchanged"] else "CHANGED"}, entries {step["names"]}',
         _command(story) + '  # serving/ on a small tmpfs')
  assert 'DAMAGED' in _notice(result)
  assert f'serving/{step["damaged"]}/variables' in _notice(result)
  assert states['Trainer'] == 'cached' and states['ServedModel'] == 'ran' and blessed
  assert result.returncode == 1 and states['Pusher'] == 'FAILED'
  assert len(error) == 1 and error[0].startswith('error: Pusher failed:')
  assert 'No space left on device' in error[0]
  assert result.stdout.strip().endswith('Nothing was pushed.')
  assert step['unchanged'] and step['names'] == [step['damaged']]


def test_with_room_again_a_good_model_replaces_the_damaged_one(story, record):
  step = story.steps['room again']
  states, versions = step['states'], step['versions']
  record('the next run, with room on the disk again', 'the good model is pushed over the '
         'damaged one (exit 0); everything before the Pusher cached',
         f'exit {step["result"].returncode}; Pusher {states.get("Pusher")}; '
         f'versions {len(versions)}; cached: {sum(s == "cached" for s in states.values())}',
         _command(story))
  assert step['result'].returncode == 0
  assert all(states[c] == 'cached' for c in ORDER[:ORDER.index('Pusher')]), states
  assert len(versions) == 2 and step['newest_problem'] is None


def test_with_the_flag_a_damaged_served_model_stops_the_run(story, record):
  step = story.steps['refuse damaged']
  result, error = step['result'], step['errors']
  record('served model damaged, run with --refuse-corrupt-served-model',
         'exit 1, one line naming the damaged file; nothing pushed',
         f'exit {result.returncode}; `{error[0] if error else "no error line"}`; served files '
         f'{"unchanged" if step["unchanged"] else "CHANGED"}',
         _command(story, '--refuse-corrupt-served-model'))
  assert result.returncode == 1
  assert len(error) == 1 and f'served version {step["damaged"]} is damaged' in error[0]
  assert step['unchanged']
