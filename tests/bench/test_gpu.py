"""bench/gpu.py, the GPU check: what it does on a machine without a GPU, and its CPU path on a
small slice (the same code that measures GPUs, MirroredStrategy included)."""

import pytest

# pylint: disable=g-import-not-at-top  (TensorFlow loads inside the tests, not at collection.)

AROUND = '# Benchmarks\n\nWritten by hand.\n'


def test_without_a_gpu_it_says_so_measures_nothing_and_exits_0(tmp_path, capsys):
  import tensorflow as tf
  from bench import gpu
  if tf.config.list_physical_devices('GPU'):
    pytest.skip('this machine has a GPU: bench/gpu.py measures it')
  benchmarks = tmp_path / 'BENCHMARKS.md'
  benchmarks.write_text(AROUND)
  assert gpu.main(['--benchmarks', str(benchmarks)]) == 0
  assert capsys.readouterr().out.strip() == gpu.NO_GPU
  assert benchmarks.read_text() == AROUND


def test_the_cpu_path_trains_and_writes_one_row_per_precision(tmp_path, capsys):
  from bench import gpu
  benchmarks = tmp_path / 'BENCHMARKS.md'
  benchmarks.write_text(AROUND)
  argv = ['--cpu', '--train-limit', '2048', '--test-limit', '500', '--epochs', '2',
          '--precisions', 'float32', '--benchmarks', str(benchmarks)]
  assert gpu.main(argv) == 0
  printed = capsys.readouterr().out
  row = [line for line in printed.splitlines() if line.startswith('| float32 |')]
  assert len(row) == 1
  _, precision, batch, seconds, images, accuracy, _ = row[0].split('|')
  assert int(batch) == 128  # The default recipe's batch on one replica.
  assert len(seconds.split(',')) == 2 and float(images.replace(',', '')) > 0
  assert 0.5 < float(accuracy) <= 1.0  # Two epochs of 2,048 digits: it learned.
  written = benchmarks.read_text()
  assert written.startswith(AROUND) and printed in written
  # A second run replaces its part, and keeps what is written around it.
  assert gpu.main(argv) == 0
  again = benchmarks.read_text()
  assert again.count(gpu.BEGIN) == 1 and again.count(gpu.END) == 1
  assert again.startswith(AROUND)
