from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

NO_URL = "Private files have no URL; serve them through a view that checks access."


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on disk with no public URL: a link could leak to someone without the right, so
    files are only ever streamed by a view that checks the viewer first."""

    def url(self, name):
        raise ValueError(NO_URL)


class PrivateS3Storage(S3Storage):
    """The same rule on S3-compatible storage: objects are private and get no URL."""

    default_acl = "private"
    querystring_auth = True

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError(NO_URL)
