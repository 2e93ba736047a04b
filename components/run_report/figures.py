"""The report's pictures, as the course draws them: matplotlib, headless, PNG bytes.

Each function takes plain numbers (no artifacts, no TensorFlow) and returns one
figure as PNG bytes, sized to be read at 1280 px wide and scaled down on a phone.
"""

import io
from typing import Dict, List

import matplotlib

matplotlib.use('Agg')  # Headless: no display on a build machine or in a pod.
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

DPI = 100
WIDE = (6.0, 3.6)  # Inches: two figures side by side on a 1280 px page.
TRAIN_COLOUR = '#1f77b4'
EVAL_COLOUR = '#ff7f0e'
WRONG_COLOUR = '#d62728'  # The course shows misclassified digits' labels in red.
GRID_COLUMNS = 10


def curve(history: Dict[str, List[float]], name: str, title: str) -> bytes:
  """One metric per epoch, on the training data and on the evaluation data (val_)."""
  figure, axes = plt.subplots(figsize=WIDE, dpi=DPI)
  epochs = np.arange(1, len(history[name]) + 1)
  axes.plot(epochs, history[name], 'o-', color=TRAIN_COLOUR, label='training data')
  if 'val_' + name in history:
    axes.plot(epochs, history['val_' + name], 'o-', color=EVAL_COLOUR, label='evaluation data')
  axes.set(title=title, xlabel='epoch', xticks=epochs)
  axes.grid(alpha=0.3)
  axes.legend()
  return _png(figure)


def learning_rate(rates: List[float]) -> bytes:
  """The schedule: the rate each epoch trained with."""
  figure, axes = plt.subplots(figsize=WIDE, dpi=DPI)
  epochs = np.arange(1, len(rates) + 1)
  axes.plot(epochs, rates, 'o-', color='#2ca02c')
  axes.set(title='learning rate', xlabel='epoch', xticks=epochs, ylim=(0, max(rates) * 1.1))
  axes.grid(alpha=0.3)
  return _png(figure)


def digit_accuracy(accuracy: Dict[int, float], overall: float, threshold: float,
                   floor: float) -> bytes:
  """A bar per digit, the gate's overall threshold and per-digit floor drawn across."""
  figure, axes = plt.subplots(figsize=WIDE, dpi=DPI)
  digits = sorted(accuracy)
  values = [accuracy[d] for d in digits]
  colours = [WRONG_COLOUR if v < floor else TRAIN_COLOUR for v in values]
  axes.bar(digits, values, color=colours)
  axes.axhline(threshold, color='black', linestyle='--', label=f'overall threshold {threshold:g}')
  axes.axhline(floor, color=WRONG_COLOUR, linestyle=':', label=f'per-digit floor {floor:g}')
  axes.axhline(overall, color=EVAL_COLOUR, label=f'overall accuracy {overall:.4f}')
  low = min(values + [threshold, floor, overall])
  axes.set(title='test accuracy per digit', xlabel='digit', xticks=range(10),
           ylim=(max(0.0, low - (1 - low) * 0.5 - 0.005), 1.0))
  # Below the plot: the bars fill the axes.
  axes.legend(loc='upper center', bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize='small')
  return _png(figure)


def confusion(matrix: np.ndarray) -> bytes:
  """True digit (rows) against predicted digit (columns), every count written in."""
  figure, axes = plt.subplots(figsize=(6.0, 5.4), dpi=DPI)
  axes.imshow(np.log1p(matrix), cmap='Blues')
  for (row, column), count in np.ndenumerate(matrix):
    if count:
      light = np.log1p(count) > 0.6 * np.log1p(matrix.max())
      axes.text(column, row, str(count), ha='center', va='center', fontsize=8,
                color='white' if light else ('black' if row == column else WRONG_COLOUR))
  axes.set(title=f'confusion matrix of {matrix.sum():,} test digits', xlabel='predicted',
           ylabel='true', xticks=range(10), yticks=range(10))
  return _png(figure)


def misclassified(images: np.ndarray, labels: np.ndarray, predicted: np.ndarray) -> bytes:
  """A grid of digits, each titled `true -> predicted` in red; black ink on white.

  One mosaic image with the titles written over it: a subplot per digit costs
  seconds at a hundred digits.
  """
  rows = max(1, -(-len(images) // GRID_COLUMNS))
  title, margin = 12, 2  # Room above and beside each digit, in pixels of the mosaic.
  cell_height, cell_width = 28 + title, 28 + 2 * margin
  mosaic = np.zeros((rows * cell_height, GRID_COLUMNS * cell_width))
  figure, axes = plt.subplots(
      figsize=(GRID_COLUMNS * 1.0, rows * 1.0 * cell_height / cell_width), dpi=DPI)
  for index, (image, label, guess) in enumerate(zip(images, labels, predicted)):
    top = index // GRID_COLUMNS * cell_height + title
    left = index % GRID_COLUMNS * cell_width + margin
    mosaic[top:top + 28, left:left + 28] = image.reshape(28, 28)
    axes.text(left + 14, top - 1, f'{label} \u2192 {guess}', color=WRONG_COLOUR,
              ha='center', va='bottom', fontsize=11)
  axes.imshow(mosaic, cmap='gray_r', vmin=0, vmax=255, interpolation='nearest')
  axes.axis('off')
  return _png(figure)


def label_shares(counts: Dict[str, np.ndarray]) -> bytes:
  """Each split's share of each digit, side by side, to see an imbalance or a shift."""
  figure, axes = plt.subplots(figsize=WIDE, dpi=DPI)
  width = 0.8 / max(1, len(counts))
  for index, (split, per_digit) in enumerate(counts.items()):
    total = max(1, per_digit.sum())
    axes.bar(np.arange(10) + (index - (len(counts) - 1) / 2) * width, per_digit / total,
             width, label=split)
  axes.set(title='share of each digit per split', xlabel='digit', xticks=range(10))
  axes.legend(fontsize='small')
  return _png(figure)


def _png(figure) -> bytes:
  buffer = io.BytesIO()
  figure.tight_layout()
  figure.savefig(buffer, format='png')
  plt.close(figure)
  return buffer.getvalue()
