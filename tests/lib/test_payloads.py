"""Each payload record reads what an earlier run wrote and writes it back byte for byte:
the files below are a run's own (label_check.json, span_tests.json, start.json,
history.json, the Pusher's `canary` property), so older outputs still read."""

import pytest

from mnist_tfx.lib import payloads

pytestmark = pytest.mark.fast

LABELS_CHECKED = (
    '{"agreement": 0.574, "digits": 1000, "disagreements": [[2, 1, 62], [2, 4, 49]], '
    '"expected": 0.51, "margin": 0.03, "per_digit": {"0": 0.9574468085106383, "1": 0.0}, '
    '"skipped": "", "version": "1796637922"}')
LABELS_SKIPPED = '{"skipped": "no model served yet", "version": ""}'
SPAN_TESTS = (
    '[{"accuracy": 0.6266666666666667, "confusions": [[1, 2, 29], [4, 6, 7]], "digits": 300, '
    '"per_digit": {"0": 0.8620689655172413, "1": 0.0}, "span": 2, "split": "test_span_2"}]')
START = ('{"warm": false, "why_cold": "no model was served when the data arrived", '
         '"recipe": "fast", "epochs": 1}')
HISTORY = ('{"loss": [0.38048046827316284], "accuracy": [0.8899999856948853], '
           '"val_loss": [1.15143620967865], "val_accuracy": [0.6333333253860474], "lr": [0.0]}')
CANARY = ('{"passed": true, "failure": "", "seconds": 2.54146731000219, "load_seconds": '
          '0.10245085299902712, "latency_ms": 0.9489604999544099, "digits": 32}')


@pytest.mark.parametrize('record, text', [
    (payloads.LabelCheckResult, LABELS_CHECKED), (payloads.LabelCheckResult, LABELS_SKIPPED),
    (payloads.SpanTests, SPAN_TESTS), (payloads.SpanTests, '[]'),
    (payloads.TrainingStart, START), (payloads.TrainingHistory, HISTORY),
    (payloads.CanaryVerdict, CANARY)])
def test_a_record_writes_back_what_it_read(record, text):
  assert record.from_json(text).to_json() == text


def test_the_label_check_reads_as_fields_and_named_pairs():
  found = payloads.LabelCheckResult.from_json(LABELS_CHECKED)
  assert (found.version, found.agreement, found.digits) == ('1796637922', 0.574, 1000)
  assert found.disagreements[0] == payloads.Disagreement(read=2, label=1, count=62)
  assert found.floor() == pytest.approx(0.48)
  skipped = payloads.LabelCheckResult.from_json(LABELS_SKIPPED)
  assert skipped.skipped == 'no model served yet' and skipped.agreement is None


def test_span_tests_read_as_fields_and_named_confusions():
  (span,) = payloads.SpanTests.from_json(SPAN_TESTS).spans
  assert (span.span, span.split, span.digits) == (2, 'test_span_2', 300)
  assert span.confusions[0] == payloads.Confusion(true=1, predicted=2, count=29)


def test_the_trainer_settings_are_the_custom_config_it_had():
  config = {'recipe': 'fast', 'epochs': 2, 'cold_start': 0, 'precision': 'float32',
            'seed': 7, 'cache_key': 'abc'}
  settings = payloads.TrainerSettings.from_custom_config(config)
  assert settings.to_custom_config() == config
  assert list(settings.to_custom_config()) == list(config)  # The same order: the same key.
  assert payloads.TrainerSettings.from_custom_config(None) == payloads.TrainerSettings()
