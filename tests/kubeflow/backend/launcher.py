"""One task of a compiled spec, run as the open-source KFP backend's driver and launcher run it.

Written from kubeflow/pipelines at tag 2.5.0 (the version kubeflow/README.md
installs); paths are under backend/src/v2/. What each function reproduces is cited
in it. Stand-ins for what the cluster has:
- the bucket is object_store.Bucket, seen by the step as ram:// where the cluster
  has gs:// (the launcher maps ram:// as it maps gs://);
- each pod is a folder: its local disk (`gcs/` for the launcher's /gcs, `tmp/` for
  /tmp) and the image's Python path (the checkout, and pod/ for the bucket);
- the container's process is forked, its libraries already imported
  (tests/support/zygote.py);
- the image's project folder (/mnist-tfx) is this checkout.
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import uuid
from typing import Any, Dict, List, Optional

from kfp.pipeline_spec import pipeline_spec_pb2
from google.protobuf import json_format

from mnist_tfx.kubeflow import compiler
from tests.kubeflow.backend import errors
from tests.kubeflow.backend import mlmd
from tests.kubeflow.backend import object_store
from tests.support import zygote

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
POD_PYTHONPATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pod')
POD_SITE = os.path.join(POD_PYTHONPATH, 'sitecustomize.py')  # Run at every pod's start.
# component/launcher_v2.go:458, OutputMetadataFilepath, under the pod's own /tmp.
OUTPUT_METADATA_FILE = 'tmp/kfp_outputs/output_metadata.json'
EXECUTOR_LOGS = 'executor-logs'
# What the compiler puts first in every executor's command when it uses TFX's own entrypoint.
TFX_ENTRYPOINT = ['python', '-m',
                  'tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor']


@dataclasses.dataclass
class Run:
  """One pipeline run: its root, ML Metadata, bucket and pods."""
  spec: Dict[str, Any]
  bucket: object_store.Bucket
  pipeline_root: str  # As submitted: kubeflow/submit.py passes config.pipeline_root.
  pods_dir: str
  publish_logs: bool = True  # PUBLISH_LOGS in 2.5.0's manifests: on.
  run_id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
  metadata: mlmd.Store = dataclasses.field(default_factory=mlmd.Store)
  command: Optional[List[str]] = None  # Another entrypoint in place of the compiled one.
  env: Dict[str, str] = dataclasses.field(default_factory=dict)

  @property
  def run_root(self) -> str:
    """metadata/client.go:316: GenerateOutputURI(pipelineRoot, [pipelineName, runID])."""
    return '/'.join([self.pipeline_root.rstrip('/'), self.spec['pipelineInfo']['name'],
                     self.run_id])


@dataclasses.dataclass
class Outcome:
  executor_input: Dict[str, Any]
  returncode: int
  output: str  # The step's stdout and stderr ('' if it never started).
  error: str = ''  # The launcher's own error line: `failed to execute component: ...`.

  @property
  def ok(self) -> bool:
    return self.returncode == 0 and not self.error


def run_task(run: Run, task: str) -> Outcome:
  """Driver, then launcher: downloads, the command, uploads and ML Metadata records."""
  executor_input = driver_executor_input(run, task)
  pod = os.path.join(run.pods_dir, task)
  os.makedirs(os.path.join(pod, 'tmp'), exist_ok=True)
  # The driver's /tmp/kfp_outputs/output_metadata.json, in the pod's own /tmp here.
  executor_input['outputs']['outputFile'] = os.path.join(pod, OUTPUT_METADATA_FILE)
  # launcher_v2.go prepareOutputFolders (898-925): the parent of each local output path.
  for artifact_list in executor_input['outputs']['artifacts'].values():
    os.makedirs(os.path.dirname(local_path(pod, artifact_list['artifacts'][0]['uri'])),
                exist_ok=True)
  try:
    download_artifacts(run.bucket, pod, executor_input)
  except errors.BackendError as e:
    return Outcome(executor_input, 0, '', f'failed to execute component: {e}')

  output_path = os.path.join(pod, 'output.txt')  # The container's stdout and stderr.
  returncode = run_in_pod(_command(run, task, executor_input), _env(run, pod), output_path)
  with open(output_path) as f:
    result = subprocess.CompletedProcess([], returncode, f.read())
  logs = executor_input['outputs']['artifacts'].get(EXECUTOR_LOGS)
  if logs:  # launcher_v2.go getLogWriter (467-488): stdout and stderr teed into it.
    with open(local_path(pod, logs['artifacts'][0]['uri']), 'w') as f:
      f.write(result.stdout)
  if result.returncode != 0:
    # launcher_v2.go execute (527-529): returns before reading outputs or uploading,
    # with Go's exec.ExitError text.
    status = (f'exit status {result.returncode}' if result.returncode > 0 else
              f'signal: {signal.strsignal(-result.returncode).lower()}')
    return Outcome(executor_input, result.returncode, result.stdout,
                   f'failed to execute component: {status}')
  try:
    upload_and_record(run, task, pod, executor_input)
  except errors.BackendError as e:
    return Outcome(executor_input, 0, result.stdout, f'failed to execute component: {e}')
  return Outcome(executor_input, 0, result.stdout)


def run_in_pod(command: List[str], env: Dict[str, str], output: str) -> int:
  """The exit status of the container's `python -m MODULE ARGS`, stdout and stderr into
  output: forked with its libraries imported, the pod's sitecustomize.py run first."""
  module, args = zygote.split_python_m(command)
  return zygote.WarmProcess(module, args, env=env, site=POD_SITE, output=output).wait()


def driver_executor_input(run: Run, task: str) -> Dict[str, Any]:
  """What the driver hands the step (driver/driver.go at 2.5.0)."""
  task_spec = run.spec['root']['dag']['tasks'][task]
  component = run.spec['components'][task_spec['componentRef']['name']]
  parameters = {name: value['runtimeValue']['constant']
                for name, value in task_spec['inputs'].get('parameters', {}).items()}
  # resolveUpstreamArtifacts (1927-2007): from ML Metadata, typed {instanceSchema: ""}.
  artifacts = {
      name: {'artifacts': [run.metadata.runtime_artifact(
          source['taskOutputArtifact']['producerTask'],
          source['taskOutputArtifact']['outputArtifactKey'])]}
      for name, source in task_spec['inputs'].get('artifacts', {}).items()}
  # provisionOutputs (2009-2062): <run root>/<task>/<uuid>/<key>, typed as declared, no name.
  salt = str(uuid.uuid4())
  declared = dict(component.get('outputDefinitions', {}).get('artifacts', {}))
  if run.publish_logs:
    declared[EXECUTOR_LOGS] = {'artifactType': {'schemaTitle': 'system.Artifact'}}
  outputs = {
      name: {'artifacts': [{'uri': '/'.join([run.run_root, task, salt, name]),
                            'type': definition['artifactType']}]}
      for name, definition in declared.items()}
  return {
      'inputs': {'parameterValues': parameters, 'artifacts': artifacts},
      'outputs': {'artifacts': outputs, 'outputFile': '/tmp/kfp_outputs/output_metadata.json'},
  }


def local_path(pod: str, uri: str) -> str:
  """launcher_v2.go LocalPathForURI (882-896): gs://X is /gcs/X (ram:// stands for gs://)."""
  for scheme in ('gs://', object_store.RAM):
    if uri.startswith(scheme):
      return os.path.join(pod, 'gcs', uri[len(scheme):])
  raise errors.BackendError(f'failed to generate local path for URI {uri}: '
                          'unsupported storage scheme')


def download_artifacts(bucket: object_store.Bucket, pod: str,
                       executor_input: Dict[str, Any]) -> None:
  """launcher_v2.go downloadArtifacts (619-688): every input, whether the step reads it or not."""
  for name, artifact_list in executor_input['inputs']['artifacts'].items():
    uri = artifact_list['artifacts'][0]['uri']
    try:
      download_blob(bucket, local_path(pod, uri), uri[len(object_store.RAM):])
    except errors.BackendError as e:
      raise errors.BackendError(f'failed to download input artifact {name!r} from remote '
                              f'storage URI {uri!r}: {e}') from None


def download_blob(bucket: object_store.Bucket, local_dir: str, blob_dir: str) -> None:
  """objectstore/object_store.go DownloadBlob (123-150) and downloadFile (180-213).

  Lists by bare prefix (no delimiter), and for each object: its path relative to the
  prefix, cleaned as filepath.Rel does (a trailing "/" is dropped, so a `dir/` marker
  becomes the file `dir`), MkdirAll of its folder, then os.Create.
  """
  for key, data in bucket.list(blob_dir):
    local_file = os.path.normpath(os.path.join(local_dir, os.path.relpath(key, blob_dir)))
    try:
      _mkdir_all(os.path.dirname(local_file))
    except errors.BackendError as e:
      raise errors.BackendError(
          f'downloadFile(): unable to complete copying {key!r} to local storage '
          f'{local_file!r}: failed to create local directory '
          f'{os.path.dirname(local_file)!r}: {e}') from None
    if os.path.isdir(local_file):
      raise errors.BackendError(
          f'downloadFile(): unable to complete copying {key!r} to local storage '
          f'{local_file!r}: unable to open local file {local_file!r} for writing: '
          f'open {local_file}: is a directory')
    with open(local_file, 'wb') as f:
      f.write(data)


def _mkdir_all(path: str) -> None:
  """Go's os.MkdirAll: an existing non-folder on the way is `mkdir PATH: not a directory`."""
  if os.path.isdir(path):
    return
  if os.path.exists(path):
    raise errors.BackendError(f'mkdir {path}: not a directory')
  _mkdir_all(os.path.dirname(path))
  os.mkdir(path)


def _command(run: Run, task: str, executor_input: Dict[str, Any]) -> List[str]:
  """The executor's command and args, with {{$}} the ExecutorInput (launcher_v2.go:736-820)."""
  task_spec = run.spec['root']['dag']['tasks'][task]
  component = run.spec['components'][task_spec['componentRef']['name']]
  container = run.spec['deploymentSpec']['executors'][component['executorLabel']]['container']
  in_pod = json.loads(json.dumps(executor_input))
  parameters = in_pod['inputs']['parameterValues']
  for name, value in parameters.items():
    if isinstance(value, str):
      parameters[name] = _in_checkout(value)
  args = [json.dumps(in_pod, separators=(',', ':')) if arg == '{{$}}' else arg
          for arg in container['args']]
  command = run.command or container['command']
  return [sys.executable if part == 'python' else part for part in command] + args


def _in_checkout(value: str) -> str:
  """The image's project folder is this checkout here (the schema file's path, for one)."""
  return value.replace(compiler.IMAGE_PROJECT_DIR + '/', PROJECT_DIR + '/')


def _env(run: Run, pod: str) -> Dict[str, str]:
  env = dict(os.environ, **run.env)
  env.update(PYTHONPATH=os.pathsep.join([POD_PYTHONPATH, PROJECT_DIR]),
             KFP_STANDIN_BUCKET=run.bucket.path, TMPDIR=os.path.join(pod, 'tmp'),
             TF_USE_LEGACY_KERAS='1')  # Set by kubeflow/Dockerfile.
  env.pop('PYTEST_XDIST_WORKER', None)
  return env


def upload_and_record(run: Run, task: str, pod: str, executor_input: Dict[str, Any]) -> None:
  """launcher_v2.go getExecutorOutputFile (851-880), uploadOutputArtifacts (540-592)."""
  output_file = executor_input['outputs']['outputFile']
  executor_output = pipeline_spec_pb2.ExecutorOutput()
  if os.path.exists(output_file):
    with open(output_file) as f:
      text = f.read()
    # protojson.Unmarshal with default options: unknown fields are errors. TFX writes
    # with the same proto version as this parse, so here it catches malformed JSON.
    try:
      json_format.Parse(text, executor_output)
    except json_format.ParseError as e:
      raise errors.BackendError(
          f'failed to unmarshall ExecutorOutput in file {output_file!r}: {e}') from None
  produced = json_format.MessageToDict(executor_output).get('artifacts', {})
  for name, artifact_list in executor_input['outputs']['artifacts'].items():
    artifact = dict(artifact_list['artifacts'][0])
    merged = produced.get(name, {}).get('artifacts', [])
    if merged:  # mergeRuntimeArtifacts (835-849): the URI if set, metadata key by key.
      artifact['uri'] = merged[0].get('uri') or artifact['uri']
      artifact['metadata'] = dict(artifact.get('metadata', {}), **merged[0].get('metadata', {}))
    local = local_path(pod, artifact['uri'])
    if os.path.exists(local):  # UploadBlob (88-121); TFX writes to the bucket itself.
      _upload(run.bucket, local, artifact['uri'][len(object_store.RAM):])
    try:
      run.metadata.record(task, name, artifact)
    except errors.BackendError as e:
      raise errors.BackendError(f'unable to produce MLMD artifact for output {name!r}: {e}') \
          from None


def _upload(bucket: object_store.Bucket, local: str, key: str) -> None:
  if os.path.isfile(local):
    with open(local, 'rb') as f:
      bucket.put(key, f.read())
    return
  object_store.upload_folder(bucket, local, key)


def topological_order(spec: Dict[str, Any]) -> List[str]:
  """The root DAG's tasks, each after the tasks it depends on, in the spec's order otherwise."""
  tasks = spec['root']['dag']['tasks']
  order: List[str] = []
  while len(order) < len(tasks):
    for name, task in tasks.items():
      if name not in order and all(d in order for d in task.get('dependentTasks', [])):
        order.append(name)
        break
  return order
