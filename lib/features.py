"""Feature names and shapes shared by ingestion, Transform, Trainer and serving."""

# Raw tf.Example features, as IdxExampleGen writes them.
PIXELS_KEY = 'pixels'
LABEL_KEY = 'label'
ROWS = COLS = 28
PIXELS = ROWS * COLS
NUM_CLASSES = 10

# Transformed features, as preprocessing_fn returns them.
IMAGE_KEY = 'image'
IMAGE_SHAPE = (ROWS, COLS, 1)
