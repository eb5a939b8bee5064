from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on disk with no public URL: a link could leak to someone without the right, so
    files are only ever streamed by a view that checks the viewer first."""

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks access.")
