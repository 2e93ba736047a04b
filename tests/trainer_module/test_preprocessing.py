"""preprocessing_fn under tf.Transform: normalized with train statistics, label passed through."""

import numpy as np


def test_normalizes_pixels_to_a_28x28x1_image(tmp_path, mnist_arrays):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_transform.beam as tft_beam  # pylint: disable=g-import-not-at-top
  from tensorflow_transform.tf_metadata import dataset_metadata  # pylint: disable=g-import-not-at-top
  from tensorflow_transform.tf_metadata import schema_utils  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import preprocessing  # pylint: disable=g-import-not-at-top

  images, labels = mnist_arrays['train']
  images, labels = images[:500], labels[:500]
  rows = [{'pixels': image.astype(np.int64), 'label': [int(label)]}
          for image, label in zip(images, labels)]
  metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec({
      'pixels': tf.io.FixedLenFeature([784], tf.int64),
      'label': tf.io.FixedLenFeature([1], tf.int64)}))
  with tft_beam.Context(temp_dir=str(tmp_path)):
    transformed, _ = ((rows, metadata)
                      | tft_beam.AnalyzeAndTransformDataset(preprocessing.preprocessing_fn))
  transformed_rows, _ = transformed
  image = np.stack([np.asarray(r['image'], np.float32) for r in transformed_rows])
  assert image.shape == (500, 28, 28, 1)
  pixels = images.astype(np.float64)
  expected = ((pixels - pixels.mean()) / pixels.std()).reshape(500, 28, 28, 1)
  np.testing.assert_allclose(image, expected, rtol=1e-4, atol=1e-4)
  assert [int(np.ravel(r['label'])[0]) for r in transformed_rows] == labels.tolist()
