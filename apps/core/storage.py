from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on disk with no public URL: a link could leak to someone without the right, so
    files are only ever streamed by a view that checks the viewer first."""

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks access.")


try:
    from storages.backends.s3 import S3Storage
except ImportError:  # pragma: no cover - django-storages is a dependency; kept for clarity
    S3Storage = None


if S3Storage is not None:

    class PrivateS3Storage(S3Storage):
        """The same rule on S3-compatible storage: objects are private and get no URL."""

        default_acl = "private"
        querystring_auth = True

        def url(self, name, parameters=None, expire=None, http_method=None):
            raise ValueError(
                "Private files have no URL; serve them through a view that checks access."
            )
