"""Spans: how a data root is read as numbered batches, and how a batch is added whole."""

import os
import threading

import pytest

from mnist_tfx.lib.errors import DataError
from mnist_tfx.lib import idx
from mnist_tfx.lib import spans
from tests.support import idx_files


def _batch(root, arrays, start, count, with_test=False):
  images, labels = arrays['train']
  batch = {'train': (images[start:start + count], labels[start:start + count])}
  if with_test:
    batch['eval'] = arrays['eval']
  idx_files.write_data_root(root, batch)
  return str(root)


def test_a_plain_folder_is_span_1_and_span_folders_follow(tmp_path, mnist_arrays):
  root = _batch(tmp_path / 'data', mnist_arrays, 0, 100, with_test=True)
  assert [(s.number, s.folder) for s in spans.list_spans(root)] == [(1, root)]
  _batch(tmp_path / 'data' / 'span-3', mnist_arrays, 100, 100)
  _batch(tmp_path / 'data' / 'span-2', mnist_arrays, 200, 100)
  os.makedirs(tmp_path / 'data' / '.incoming-span-4-99')  # Being added: not seen.
  assert [s.number for s in spans.list_spans(root)] == [1, 2, 3]
  assert spans.list_spans(root)[0].test_pair() is not None
  assert spans.list_spans(root)[1].test_pair() is None


def test_bad_layouts_name_the_folder(tmp_path, mnist_arrays):
  root = _batch(tmp_path / 'data', mnist_arrays, 0, 100)
  _batch(tmp_path / 'data' / 'span-1', mnist_arrays, 100, 100)
  with pytest.raises(DataError, match='both span-1/ and the IDX files beside it are span 1, '
                     'and only one would be read; keep one') as error:
    spans.list_spans(root)
  assert error.value.path == root
  os.rename(tmp_path / 'data' / 'span-1', tmp_path / 'data' / 'batch-two')
  with pytest.raises(DataError, match='not a span folder'):
    spans.list_spans(root)
  os.rename(tmp_path / 'data' / 'batch-two', tmp_path / 'data' / 'span-02')
  with pytest.raises(DataError, match=r'without leading zeros \(span-2, not span-02\)'):
    spans.list_spans(root)
  os.makedirs(tmp_path / 'empty')
  with pytest.raises(DataError, match='no train-images.* and no span-<number> folder'):
    spans.list_spans(str(tmp_path / 'empty'))


def test_add_span_validates_everything_before_writing(tmp_path, mnist_arrays):
  root = _batch(tmp_path / 'data', mnist_arrays, 0, 100, with_test=True)
  bad = tmp_path / 'bad'
  _batch(bad, mnist_arrays, 100, 100)
  images, labels = mnist_arrays['train']
  idx_files.write(bad / 'train-labels-idx1-ubyte', idx_files.label_bytes(labels[:100])[:-10])
  with pytest.raises(DataError, match='truncated'):
    spans.add_span(str(bad), root)
  assert sorted(os.listdir(root)) == sorted(os.listdir(tmp_path / 'data'))
  assert [s.number for s in spans.list_spans(root)] == [1]
  good = _batch(tmp_path / 'good', mnist_arrays, 100, 100)
  added = spans.add_span(good, root)
  assert added.number == 2 and os.path.basename(added.folder) == 'span-2'
  assert not [n for n in os.listdir(root) if n.startswith('.')]


def test_a_run_reading_while_a_span_is_added_sees_all_of_it_or_none(tmp_path, mnist_arrays):
  """Scenario 5: spans are added over and over while a reader lists and reads them."""
  root = _batch(tmp_path / 'data', mnist_arrays, 0, 50, with_test=True)
  source = _batch(tmp_path / 'batch', mnist_arrays, 0, 3000)
  stop = threading.Event()
  def add_spans():
    for _ in range(6):
      spans.add_span(source, root)
    stop.set()
  writer = threading.Thread(target=add_spans)
  writer.start()
  reads = 0
  while not stop.is_set() or reads == 0:
    for span in spans.list_spans(root)[1:]:
      _, labels = idx.read_arrays(*span.train_pair())
      assert len(labels) == 3000, f'span {span.number} read partly'
    reads += 1
  writer.join()
  assert [s.number for s in spans.list_spans(root)] == list(range(1, 8))
  assert reads > 1


def test_on_an_object_store_a_span_is_listed_once_its_marker_is_written(tmp_path, mnist_arrays):
  """gs:// has no atomic rename; TensorFlow's in-memory ram:// filesystem stands in for it."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  local = _batch(tmp_path / 'data', mnist_arrays, 0, 100, with_test=True)
  remote = 'ram://spans-test/data'
  for name in os.listdir(local):
    tf.io.gfile.copy(os.path.join(local, name), f'{remote}/{name}', overwrite=True)
  added = spans.add_span(_batch(tmp_path / 'batch', mnist_arrays, 100, 100), remote)
  assert added.number == 2
  assert tf.io.gfile.exists(f'{remote}/span-2/{spans.COMPLETE_MARKER}')
  tf.io.gfile.makedirs(f'{remote}/span-3')  # Being copied: no marker yet.
  tf.io.gfile.copy(os.path.join(local, 'train-labels-idx1-ubyte.gz'),
                   f'{remote}/span-3/train-labels-idx1-ubyte.gz')
  assert [s.number for s in spans.list_spans(remote)] == [1, 2]
  _, labels = idx.read_arrays(*spans.list_spans(remote)[1].train_pair())
  assert len(labels) == 100


def _files(found, split):
  """{split: [(span, (images file name, labels file name))]} of sources(), names only."""
  return [(number, tuple(os.path.basename(os.path.dirname(p)) + '/' + os.path.basename(p)
                         for p in pair)) for number, pair in found[split]]


def test_a_trained_span_with_its_own_test_digits_adds_its_split(tmp_path, mnist_arrays):
  root = _batch(tmp_path / 'data', mnist_arrays, 0, 100, with_test=True)
  _batch(tmp_path / 'data' / 'span-2', mnist_arrays, 100, 100, with_test=True)
  _batch(tmp_path / 'data' / 'span-3', mnist_arrays, 200, 100)
  _batch(tmp_path / 'data' / 'span-4', mnist_arrays, 300, 100, with_test=True)
  # Window 1: span 4 is trained on, and its own t10k-* pair is its split.
  found = spans.sources(root)
  assert list(found) == ['train', 'eval', 'previous', 'test_span_4']
  assert _files(found, 'test_span_4') == [
      (4, ('span-4/t10k-images-idx3-ubyte.gz', 'span-4/t10k-labels-idx1-ubyte.gz'))]
  assert _files(found, 'eval') == [
      (1, ('data/t10k-images-idx3-ubyte.gz', 'data/t10k-labels-idx1-ubyte.gz'))]
  # Window 3: spans 2, 3 and 4; span 3 has none of its own, one split per span that has.
  found = spans.sources(root, span_window=3)
  assert [s for s in found if spans.span_test_number(s) is not None] == [
      'test_span_2', 'test_span_4']
  assert [n for n, _ in found['test_span_2']] == [2]
  # Only spans in the window: span 2's test digits are not read when it is not trained on.
  assert 'test_span_2' not in spans.sources(root, span_window=2)


def test_the_fixed_sets_pair_is_never_a_span_test(tmp_path, mnist_arrays):
  root = _batch(tmp_path / 'data', mnist_arrays, 0, 100, with_test=True)
  # Span 1's t10k-* pair is the fixed set: trained on alone, it adds no split.
  assert list(spans.sources(root)) == ['train', 'eval']
  # Another folder as the fixed set: span 1's own pair becomes its span test ...
  other = _batch(tmp_path / 'other', mnist_arrays, 0, 100, with_test=True)
  assert list(spans.sources(root, eval_root=other)) == ['train', 'eval', 'test_span_1']
  # ... unless the fixed set is that very pair, however its folder is spelt.
  assert list(spans.sources(root, eval_root=root + '/')) == ['train', 'eval']


def test_span_test_splits_are_read_whole_and_named_one_way():
  assert spans.span_test_split(12) == 'test_span_12'
  assert spans.span_test_number('test_span_12') == 12
  for split in ('train', 'eval', 'previous', 'test_span_', 'test_span_02', 'test_span_2x'):
    assert spans.span_test_number(split) is None
  assert spans.record_limit('train', 300) == spans.record_limit('previous', 300) == 300
  assert spans.record_limit('eval', 300) == spans.record_limit('test_span_3', 300) == 0
