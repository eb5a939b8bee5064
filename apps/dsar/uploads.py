"""What an attachment may be: a size limit and a short list of types, checked on the bytes."""

import json
import re
import unicodedata
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError

# extension -> (content type, leading signatures; empty = a text format, checked otherwise)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".zip": ("application/zip", (b"PK\x03\x04", b"PK\x05\x06")),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".csv": ("text/csv", ()),
    ".json": ("application/json", ()),
    ".txt": ("text/plain", ()),
}


def sanitise_filename(name: str) -> str:
    """A display name safe in a header and on any disk: no path, no control characters."""
    name = PurePosixPath(str(name).replace("\\", "/")).name
    name = unicodedata.normalize("NFKC", name)
    name = re.sub(r"[^\w.\- ]", "_", name).strip(" .")
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix.lower()
    return f"{stem[:100] or 'attachment'}{suffix[:10]}"


def check_upload(upload) -> tuple[str, str]:
    """Refuse a file that is too large or not an allowed type. Returns (safe name, content type)."""
    limit = settings.DSAR_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"The file is {upload.size / 1_048_576:.1f} MB; at most "
            f"{limit / 1_048_576:.0f} MB is accepted.",
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError("The file is empty.", code="empty")
    name = sanitise_filename(upload.name)
    suffix = PurePosixPath(name).suffix
    allowed = ", ".join(sorted({s.lstrip(".").upper() for s in ALLOWED_TYPES} - {"JPEG"}))
    if suffix not in ALLOWED_TYPES:
        raise ValidationError(
            f"“{suffix or 'no extension'}” files are not accepted; use {allowed}.", code="type"
        )
    content_type, signatures = ALLOWED_TYPES[suffix]
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if signatures:
        if not head.startswith(signatures):
            raise ValidationError(
                f"The file is named {suffix.upper().lstrip('.')} but its content is not.",
                code="signature",
            )
        return name, content_type
    # Text formats have no signature: they must be UTF-8 text (and JSON must parse).
    data = upload.read() if suffix == ".json" else head
    upload.seek(0)
    if b"\x00" in data:
        raise ValidationError("The file is named as text but holds binary data.", code="signature")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if suffix == ".json" or error.start < len(data) - 4:  # a cut multi-byte character is fine
            raise ValidationError(
                "The file is named as text but is not UTF-8 text.", code="signature"
            ) from None
        text = ""
    if suffix == ".json":
        try:
            json.loads(text)
        except ValueError:
            raise ValidationError("The file is named JSON but is not valid JSON.", code="signature")  # noqa: B904
    return name, content_type
