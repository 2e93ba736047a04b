"""A split's anomalies against the schema, one line each: DataGate stops a run with them and
the run report lists them.

Read from tensorflow_metadata's proto, which TFDV's validate_statistics returns, without
importing TFDV: it is most of a Kubeflow step's start-up (kubeflow/README.md, "Step
start-up"), and the run report's step does without it.
"""

from typing import List

from tensorflow_metadata.proto.v0 import anomalies_pb2


def lines(found: anomalies_pb2.Anomalies) -> List[str]:
  """`feature: description` per anomalous feature, by name, then `dataset: description` if
  the dataset as a whole has one; [] for none."""
  listed = [f'{name}: {info.description}' for name, info in sorted(found.anomaly_info.items())]
  if found.HasField('dataset_anomaly_info'):
    listed.append(f'dataset: {found.dataset_anomaly_info.description}')
  return listed
