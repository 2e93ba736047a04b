"""Runs one task of a compiled spec the way the KFP v2 launcher does, on local paths.

The launcher resolves the task's inputs (constants, and upstream tasks' output
artifacts with the metadata their executors reported), names an output URI per
artifact, then runs the container's command with the ExecutorInput JSON in place
of the {{$}} placeholder. Here the pipeline root is a local folder and the
image's project folder is this checkout; everything else is as compiled.
"""

import json
import os
import subprocess
import sys
from typing import Any, Dict

from kubeflow import compiler

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_task(spec: Dict[str, Any], task: str, pipeline_root: str,
             done: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
  """Runs `task`; `done` maps each finished task to its ExecutorOutput. Returns this one's."""
  task_spec = spec['root']['dag']['tasks'][task]
  component = spec['components'][task_spec['componentRef']['name']]
  container = spec['deploymentSpec']['executors'][component['executorLabel']]['container']
  task_root = os.path.join(pipeline_root, task)

  parameters = {name: _local(value['runtimeValue']['constant'])
                for name, value in task_spec['inputs'].get('parameters', {}).items()}
  artifacts = {}
  for name, source in task_spec['inputs'].get('artifacts', {}).items():
    producer = source['taskOutputArtifact']['producerTask']
    key = source['taskOutputArtifact']['outputArtifactKey']
    produced = done[producer]['artifacts'][key]['artifacts'][0]
    artifact_type = (spec['components'][producer]['outputDefinitions']['artifacts'][key]
                     ['artifactType'])
    artifacts[name] = {'artifacts': [{
        'name': produced.get('name', f'{producer}-{key}'), 'uri': produced['uri'],
        'metadata': produced.get('metadata', {}), 'type': artifact_type}]}
  outputs = {}
  for name, definition in component.get('outputDefinitions', {}).get('artifacts', {}).items():
    outputs[name] = {'artifacts': [{
        'name': f'{task}-{name}', 'uri': os.path.join(task_root, name),
        'type': definition['artifactType'], 'metadata': {}}]}
  executor_input = {
      'inputs': {'parameterValues': parameters, 'artifacts': artifacts},
      'outputs': {'artifacts': outputs,
                  'outputFile': os.path.join(task_root, 'executor_output.json')},
  }
  command = container['command'] + [
      json.dumps(executor_input) if arg == '{{$}}' else arg for arg in container['args']]
  env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'],
             TF_USE_LEGACY_KERAS='1')
  result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
  assert result.returncode == 0, f'{task} failed:\n{result.stderr[-4000:]}'
  with open(executor_input['outputs']['outputFile']) as f:
    return json.load(f)


def _local(value):
  """The image's project folder is this checkout here."""
  if isinstance(value, str):
    return value.replace(compiler.IMAGE_PROJECT_DIR + '/', PROJECT_DIR + '/')
  return value
