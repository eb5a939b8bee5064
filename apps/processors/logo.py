"""The processor's logo: which images are taken, where they are kept, and their names.

Only raster images Pillow reads as PNG, JPEG or WebP are taken: an SVG may carry script, and a
file whose name says one type and whose bytes say another is refused. Logos are kept in the
private storage, under random names no page ever shows; the one logo that heads the pages is
served by apps.processors.views.processor_logo, under a name derived from the file's.
"""

import hashlib
import uuid
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from PIL import Image

# Format Pillow reads → (extensions the file may be named with, content type it is served as).
LOGO_FORMATS = {
    "PNG": ({".png"}, "image/png"),
    "JPEG": ({".jpg", ".jpeg"}, "image/jpeg"),
    "WEBP": ({".webp"}, "image/webp"),
}
LOGO_CONTENT_TYPES = {ext: kind for exts, kind in LOGO_FORMATS.values() for ext in exts}
LOGO_MAX_BYTES = 256 * 1024
LOGO_MAX_SIDE = 1024
LOGO_MIN_SIDE = 16
LOGO_ACCEPT = ",".join(kind for _, kind in LOGO_FORMATS.values())


def logo_storage() -> Storage:
    return storages["private"]


def logo_upload_to(instance, filename: str) -> str:
    """A random name with the (validated) extension: the uploader's name is not kept."""
    return f"processor-logos/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()}"


def logo_version(name: str) -> str:
    """The logo's name in URLs: changes with each upload, reveals nothing of the stored name."""
    return hashlib.sha256(f"processor-logo:{name}".encode()).hexdigest()[:16]


def logo_content_type(name: str) -> str:
    return LOGO_CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def validate_logo(file) -> None:
    """Refuse anything but a small PNG, JPEG or WebP image named as what it is."""
    refusal = "Upload the logo as a PNG, JPEG or WebP image (SVG is not accepted)."
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(
            f"The logo is {file.size // 1024} KB; it may be at most {LOGO_MAX_BYTES // 1024} KB."
        )
    try:
        file.seek(0)
        with Image.open(file) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except Exception as error:
        raise ValidationError(refusal) from error
    finally:
        file.seek(0)
    if kind not in LOGO_FORMATS:
        raise ValidationError(refusal)
    extensions, _ = LOGO_FORMATS[kind]
    if PurePosixPath(file.name or "").suffix.lower() not in extensions:
        raise ValidationError(
            f"The file is a {kind} image: name it with {' or '.join(sorted(extensions))}."
        )
    if not (LOGO_MIN_SIDE <= width <= LOGO_MAX_SIDE and LOGO_MIN_SIDE <= height <= LOGO_MAX_SIDE):
        raise ValidationError(
            f"The logo is {width}×{height} pixels; each side must be between {LOGO_MIN_SIDE} "
            f"and {LOGO_MAX_SIDE} pixels."
        )
