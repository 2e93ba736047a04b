"""The backend's ML Metadata records of output artifacts, and what downstream steps get back.

From kubeflow/pipelines at tag 2.5.0, backend/src/v2/metadata/:
- converter.go toMLMDArtifact / StructValueToMLMDValue (lines 110-166): each key of
  an output's metadata becomes a custom property: a string stays a string, a number
  becomes a double, a bool the int 1 or 0, a list `{"list": [...]}`, a struct
  `{"struct": {...}}`; a null fails ("unknown/unsupported value type").
- client.go RecordArtifact (1018-1078): adds `display_name` (the output key) and
  `store_session_info` (JSON of the bucket's session) unless present; the ML
  Metadata type is the `title` of the artifact's schema, and none is fatal.
- client.go GetOutputArtifactsByExecutionId (917-952) and OutputArtifact.ToRuntimeArtifact
  (175-190): the type comes back as `{instanceSchema: ""}`, "TODO(Bobgy): figure out
  how to get schema" (line 948).
- converter.go toRuntimeArtifact (176-216): the name is the artifact's id in decimal,
  and every property comes back as metadata, ints and doubles alike as numbers.
"""

import dataclasses
import itertools
import json
from typing import Any, Dict

import yaml

from tests.kubeflow.backend import errors

# client.go:1047-1054: json.Marshal of the bucket's SessionInfo; the default for gs://.
GCS_SESSION_INFO = json.dumps({'Provider': 'gs', 'Params': {'fromEnv': 'true'}},
                              separators=(',', ':'))


@dataclasses.dataclass
class Recorded:
  id: int
  type_name: str
  uri: str
  custom_properties: Dict[str, Any]  # ('string'|'double'|'int'|'struct', value)


class Store:
  """The artifacts of one run, by id, and which execution output which."""

  def __init__(self):
    self._ids = itertools.count(1)
    self.artifacts: Dict[int, Recorded] = {}
    self.outputs: Dict[str, Dict[str, int]] = {}  # task -> output key -> artifact id

  def record(self, task: str, key: str, artifact: Dict[str, Any]) -> Recorded:
    """RecordArtifact, then the OUTPUT event that ties it to the task by the output key."""
    properties = {name: _to_mlmd_value(value)
                  for name, value in artifact.get('metadata', {}).items()}
    title = _schema_title(artifact.get('type', {}))
    if not title:  # glog.Fatal in client.go: the launcher itself dies.
      raise errors.BackendError('No title specified')
    properties.setdefault('display_name', ('string', key))
    properties.setdefault('store_session_info', ('string', GCS_SESSION_INFO))
    recorded = Recorded(next(self._ids), title, artifact['uri'], properties)
    self.artifacts[recorded.id] = recorded
    self.outputs.setdefault(task, {})[key] = recorded.id
    return recorded

  def runtime_artifact(self, task: str, key: str) -> Dict[str, Any]:
    """What the driver hands a downstream step for that output."""
    recorded = self.artifacts[self.outputs[task][key]]
    return {
        'name': str(recorded.id),
        'type': {'instanceSchema': ''},
        'uri': recorded.uri,
        'metadata': {name: value for name, (_, value)
                     in recorded.custom_properties.items()},
    }


def _schema_title(artifact_type: Dict[str, Any]) -> str:
  """launcher_v2.go getArtifactSchema: a schemaTitle T is the schema `title: T`."""
  if artifact_type.get('schemaTitle'):
    return artifact_type['schemaTitle']
  return (yaml.safe_load(artifact_type.get('instanceSchema', '')) or {}).get('title', '')


def _to_mlmd_value(value: Any):
  """StructValueToMLMDValue; the value is kept as it reads back (toRuntimeArtifact)."""
  if isinstance(value, bool):
    return ('int', 1 if value else 0)
  if isinstance(value, str):
    return ('string', value)
  if isinstance(value, (int, float)):
    return ('double', float(value))
  if isinstance(value, list):
    return ('struct', {'list': value})
  if isinstance(value, dict):
    return ('struct', {'struct': value})
  raise errors.BackendError(
      'failed to convert RuntimeArtifact to MLMD artifact: unknown/unsupported value type '
      '*structpb.Value_NullValue')
