"""The Trainer's gaps (bench/processes.py's trainer_clock, printed by bench/gaps.py) on log
lines as app/logs.py and trainer_module/trainer.py write them."""

import json

from bench import gaps
from bench import processes

_LOG = '''2026-12-07 12:58:31,100 INFO trainer: Training on 0 GPU(s).
2026-12-07 12:58:50,000 INFO trainer: Epoch 1 (18.0 s): loss 0.16, accuracy 0.95, lr 0.009
2026-12-07 12:59:05,500 INFO trainer: Epoch 2 (15.0 s): loss 0.04, accuracy 0.98, lr 0.006
2026-12-07 12:59:20,600 INFO trainer: Epoch 3 (15.0 s): loss 0.03, accuracy 0.99, lr 0.002
2026-12-07 12:59:21,700 INFO trainer: Exported in 1.0 s.
2026-12-07 12:59:21,900 INFO executor: Training complete. Model written to /out/model/8.
'''


def test_gaps_are_the_time_between_epoch_lines_beyond_each_epochs_own(tmp_path, capsys):
  (tmp_path / 'logs').mkdir()
  (tmp_path / 'logs' / 'run.log').write_text(_LOG)
  clock = processes.trainer_clock(str(tmp_path))
  assert clock['epochs'] == 3
  assert round(clock['between_epochs'], 3) == 0.6 and round(clock['export'], 3) == 1.3
  assert round(clock['before_export'], 3) == 0.1  # The export started at 12:59:20,700.
  assert gaps.main([str(tmp_path)]) == 0
  assert json.loads(capsys.readouterr().out) == {
      'output_dir': str(tmp_path), 'epochs': 3, 'between_epochs_s': 0.6,
      'before_export_s': 0.1, 'gaps_s': 0.7, 'after_last_epoch_s': 1.3}


def test_a_one_epoch_run_has_no_gap_between_epochs(tmp_path):
  """bin/bench --quick trains one epoch: its gaps are the one before the export alone."""
  (tmp_path / 'logs').mkdir()
  lines = _LOG.splitlines()
  (tmp_path / 'logs' / 'run.log').write_text('\n'.join([lines[0], lines[3], lines[4]]))
  clock = processes.trainer_clock(str(tmp_path))
  assert (clock['epochs'], clock['between_epochs']) == (1, 0)
  assert round(processes.gaps(clock), 3) == 0.1


def test_measuring_the_batch_norms_again_is_work_not_a_gap(tmp_path):
  """An augmented run measures its batch norms again between the last epoch and the
  export (trainer_module/trainer.py): its logged seconds count as neither a gap nor the
  export."""
  (tmp_path / 'logs').mkdir()
  lines = _LOG.splitlines()
  (tmp_path / 'logs' / 'run.log').write_text('\n'.join(lines[:4] + [
      '2026-12-07 12:59:29,700 INFO trainer: Batch norms measured again on 469 batches of '
      'unmoved digits in 9.0 s.',
      '2026-12-07 12:59:30,700 INFO trainer: Exported in 1.0 s.',
      '2026-12-07 12:59:30,900 INFO executor: Training complete. Model written to /out/model/8.']))
  clock = processes.trainer_clock(str(tmp_path))
  assert round(clock['before_export'], 3) == 0.1  # 12:59:29,700 - 12:59:20,600 - 9.0 s.
  assert round(clock['export'], 3) == 1.3  # Nor is it the export's.
