"""preprocessing_fn under tf.Transform: normalized with train statistics, label passed through,
and the same constants from every analysis of the same digits."""

import numpy as np


def _rows_and_metadata(images, labels):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tensorflow_transform.tf_metadata import dataset_metadata  # pylint: disable=g-import-not-at-top
  from tensorflow_transform.tf_metadata import schema_utils  # pylint: disable=g-import-not-at-top

  rows = [{'pixels': image.astype(np.int64).reshape(-1), 'label': [int(label)]}
          for image, label in zip(images, labels)]
  return rows, dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec({
      'pixels': tf.io.FixedLenFeature([784], tf.int64),
      'label': tf.io.FixedLenFeature([1], tf.int64)}))


def test_normalizes_pixels_to_a_28x28x1_image(tmp_path, mnist_arrays):
  import tensorflow_transform.beam as tft_beam  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import preprocessing  # pylint: disable=g-import-not-at-top

  images, labels = mnist_arrays['train']
  images, labels = images[:500], labels[:500]
  rows, metadata = _rows_and_metadata(images, labels)
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


def test_the_same_digits_give_the_same_constants(tmp_path, mnist_arrays):
  """tf.Transform hands the rows to its analyzers in batches that Beam's BatchElements
  sizes by how long each took, so they differ from one run to the next. A float32 sum of
  a big batch rounds: with tft.mean and tft.var, two pipeline runs on the same digits got
  constants that differed in their last bits, and so two models from one seed. Batches of
  64 and one batch of 5,000 must give the same graph, to the bit."""
  import apache_beam as beam  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_transform as tft  # pylint: disable=g-import-not-at-top
  import tensorflow_transform.beam as tft_beam  # pylint: disable=g-import-not-at-top
  from apache_beam.runners.portability.fn_api_runner import fn_runner  # pylint: disable=g-import-not-at-top
  from mnist_tfx.trainer_module import preprocessing  # pylint: disable=g-import-not-at-top

  images, labels = mnist_arrays['train']
  rows, metadata = _rows_and_metadata(images[:5000], labels[:5000])
  every_intensity = {'pixels': tf.constant(np.arange(784, dtype=np.int64).reshape(1, 784) % 256),
                     'label': tf.constant([[1]], tf.int64)}
  images_out = []
  for batch_size in (64, 5000):
    output = str(tmp_path / str(batch_size))
    with beam.Pipeline(runner=fn_runner.FnApiRunner()) as pipeline:
      with tft_beam.Context(temp_dir=str(tmp_path / 'tmp'), desired_batch_size=batch_size):
        transform_fn = ((pipeline | beam.Create(rows), metadata)
                        | tft_beam.AnalyzeDataset(preprocessing.preprocessing_fn))
        _ = transform_fn | tft_beam.WriteTransformFn(output)
    layer = tft.TFTransformOutput(output).transform_features_layer()
    images_out.append(layer(every_intensity)['image'].numpy().tobytes())
  assert images_out[0] == images_out[1]
