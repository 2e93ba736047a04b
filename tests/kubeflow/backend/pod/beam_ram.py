"""Beam's view of the bucket (ram://), as Beam's GCS file system behaves.

In the cluster, Beam reads and writes gs:// through apache_beam/io/gcp/gcsfilesystem.py.
This mirrors what matters of it: no folders (has_dirs False, mkdirs does nothing,
so Beam writes no marker objects), listing by key prefix, and rename as copy then
delete. The bytes go through TensorFlow's ram:// file system, which the step's
TensorFlow code uses too, so both see one bucket in the process.
"""

import io

from apache_beam.io import filesystem
import tensorflow as tf

from tests.kubeflow.backend import object_store


class _Download(io.BytesIO):
  """An object read whole; `mode` is what Beam's CompressedFile asks of a file."""
  mode = 'rb'


class _Upload(io.BytesIO):
  """An object is written whole when closed, as a GCS upload completes."""
  mode = 'wb'

  def __init__(self, path):
    super().__init__()
    self._path = path

  def close(self):
    if not self.closed:
      with tf.io.gfile.GFile(self._path, 'wb') as f:
        f.write(self.getvalue())
    super().close()


class RamFileSystem(filesystem.FileSystem):
  """Registered by being imported: Beam picks file systems by their scheme()."""

  @classmethod
  def scheme(cls):
    return 'ram'

  def join(self, basepath, *paths):
    return '/'.join([basepath.rstrip('/')] + [p.strip('/') for p in paths])

  def split(self, path):
    path = path.rstrip('/')
    head, _, tail = path.rpartition('/')
    return head, tail

  def mkdirs(self, path):
    pass

  def has_dirs(self):
    return False

  def _list(self, dir_or_prefix):
    for key, is_folder in object_store.ram_keys().items():
      path = object_store.RAM + key
      if not is_folder and path.startswith(dir_or_prefix):
        yield filesystem.FileMetadata(path, self.size(path), 0.0)

  def create(self, path, mime_type='application/octet-stream',
             compression_type=filesystem.CompressionTypes.AUTO):
    return self._wrap(path, _Upload(path), compression_type)

  def open(self, path, mime_type='application/octet-stream',
           compression_type=filesystem.CompressionTypes.AUTO):
    with tf.io.gfile.GFile(path, 'rb') as f:
      return self._wrap(path, _Download(f.read()), compression_type)

  @staticmethod
  def _wrap(path, raw, compression_type):
    # pylint: disable-next=protected-access
    compression_type = filesystem.FileSystem._get_compression_type(path, compression_type)
    if compression_type == filesystem.CompressionTypes.UNCOMPRESSED:
      return raw
    return filesystem.CompressedFile(raw, compression_type=compression_type)

  def copy(self, source_file_names, destination_file_names):
    for source, destination in zip(source_file_names, destination_file_names):
      tf.io.gfile.copy(source, destination, overwrite=True)

  def rename(self, source_file_names, destination_file_names):
    self.copy(source_file_names, destination_file_names)
    self.delete(source_file_names)

  def exists(self, path):
    """gcsio exists: the object itself (Beam sees no folders on GCS)."""
    return object_store.ram_keys().get(path[len(object_store.RAM):]) is False

  def size(self, path):
    return tf.io.gfile.stat(path).length

  def last_updated(self, path):
    return 0.0

  def checksum(self, path):
    return str(self.size(path))

  def metadata(self, path):
    return filesystem.FileMetadata(path, self.size(path), 0.0)

  def delete(self, paths):
    """As gcsfilesystem.py's delete: `p/` is every object under p, `p` only the object p."""
    for path in paths:
      pattern = path + '*' if path.endswith('/') else path
      for metadata in self.match([pattern])[0].metadata_list:
        tf.io.gfile.remove(metadata.path)
