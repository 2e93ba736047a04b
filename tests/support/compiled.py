"""The settings of the Kubeflow spec that tests/conftest.py compiles once per session."""

IMAGE = 'us-docker.pkg.dev/my-project/mnist/mnist-tfx:v7'
DATA_ROOT = 'gs://my-bucket/mnist'
OUTPUT_DIR = 'gs://my-bucket/mnist-tfx'
GPU_TYPE = 'nvidia-l4'
COMPILE_FLAGS = ('--image', IMAGE, '--data-root', DATA_ROOT, '--output-dir', OUTPUT_DIR,
                 '--gpu-type', GPU_TYPE, '--gpu-count', '2', '--trainer-cpu', '8',
                 '--trainer-memory-gb', '30')
