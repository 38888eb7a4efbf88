"""An upload handler that stops reading a request body once it exceeds the delivery size limit.

Django would otherwise spool any upload, however large, to a temporary file before the view could
refuse it; with this handler a too-large delivery costs at most the limit in disk space.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from . import conf


def limit_bytes() -> int:
    return conf.CONSEGNE_MAX_UPLOAD_MB * 1024 * 1024


class SizeLimitHandler(FileUploadHandler):
    """Counts the bytes of every uploaded file; past the limit it aborts and marks the request."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.declared_too_large = False
        self.body_length = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A declared length over the limit is refused at the first file, before any byte is stored
        # (Django only honours StopUpload from the per-file hooks).
        self.body_length = content_length or 0
        self.declared_too_large = bool(content_length and content_length > limit_bytes() + 1024 * 1024)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.declared_too_large:
            self._stop()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > limit_bytes():
            self._stop()
        return raw_data

    def _stop(self):
        """Stop storing the file. The rest of a body not far over the limit is read and discarded,
        so that the browser receives the page with the form filled in again; a body far larger is
        cut off (the browser then shows a connection error, but the page's script refuses such a
        file before sending it)."""
        self.request.upload_too_large = True
        self.request.upload_too_large_name = getattr(self, "file_name", "") or ""
        drain = self.body_length <= 2 * limit_bytes() + 16 * 1024 * 1024
        raise StopUpload(connection_reset=not drain)

    def file_complete(self, file_size):
        return None
