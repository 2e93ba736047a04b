"""bench/gaps.py on a Trainer's log lines as app/logs.py and trainer_module/trainer.py write them."""

from bench import gaps

_LOG = '''2026-12-07 12:58:31,100 INFO trainer: Training on 0 GPU(s).
2026-12-07 12:58:50,000 INFO trainer: Epoch 1 (18.0 s): loss 0.16, accuracy 0.95, lr 0.009
2026-12-07 12:59:05,500 INFO trainer: Epoch 2 (15.0 s): loss 0.04, accuracy 0.98, lr 0.006
2026-12-07 12:59:20,600 INFO trainer: Epoch 3 (15.0 s): loss 0.03, accuracy 0.99, lr 0.002
2026-12-07 12:59:21,900 INFO executor: Training complete. Model written to /out/model/8.
'''


def test_gaps_are_the_time_between_epoch_lines_beyond_each_epochs_own(tmp_path):
  log = tmp_path / 'run.log'
  log.write_text(_LOG)
  assert gaps.gaps(str(log)) == {'epochs': 3, 'between_epochs_s': 0.6,
                                 'after_last_epoch_s': 1.3}
