"""A stand-in for an object store in tests: a folder that remix.storage treats like S3 (no local path).

Every reader then goes through ``remix.storage.cached`` (its own copy per version), as with the
``REMIX_STORAGE=s3`` settings, but without an S3 server.
"""

from django.utils.deconstruct import deconstructible

from remix.storage import SettingFileSystemStorage


@deconstructible(path="tests.object_store.FolderWithoutPaths")
class FolderWithoutPaths(SettingFileSystemStorage):
    remote = True  # remix.storage: read through copies, never in place


RASTERS = {"BACKEND": "tests.object_store.FolderWithoutPaths", "OPTIONS": {"setting": "RASTER_DIR"}}
