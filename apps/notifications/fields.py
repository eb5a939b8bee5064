"""Message bodies encrypted at rest.

An outbox body may carry a set-password, sign-in or download link until it is sent. The column
holds a Fernet token (AES-128-CBC with an HMAC-SHA256, from the `cryptography` package) made
with OUTBOX_ENCRYPTION_KEY, which lives in the environment and never in the database: whoever
reads the table, a copy of it or a backup learns no link. The application encrypts on save and
decrypts on load, so the sender reads the text only when it sends. Keys are rotated by moving
the old one to OUTBOX_ENCRYPTION_RETIRED_KEYS: it still opens the messages it sealed.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "OUTBOX_ENCRYPTION_KEY (and each retired key) must be a Fernet key: 32 bytes in "
            "URL-safe base64, e.g. from "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key())"`.'
        ) from error


def outbox_fernet() -> MultiFernet:
    """The current key first (it seals), then the retired ones (they only open)."""
    return _fernet(
        (settings.OUTBOX_ENCRYPTION_KEY, *settings.OUTBOX_ENCRYPTION_RETIRED_KEYS),
    )


def body_seal(text: str) -> str:
    """The text as a token; an empty body (a sent sensitive message) stays empty."""
    if not text:
        return ""
    return outbox_fernet().encrypt(text.encode()).decode("ascii")


def body_open(token: str) -> str:
    if not token:
        return ""
    try:
        return outbox_fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as error:
        # Loud on purpose: sending a placeholder instead of the message would be worse.
        raise ImproperlyConfigured(
            "An outbox message cannot be decrypted with OUTBOX_ENCRYPTION_KEY or "
            "OUTBOX_ENCRYPTION_RETIRED_KEYS: was the key changed without keeping the old one?"
        ) from error


class EncryptedTextField(models.TextField):
    """A TextField stored as a Fernet token and read back as text.

    Only the stored value changes: forms, the admin and the services see the text. Lookups on
    it find nothing (each token is randomised), which suits a body nobody searches.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else body_open(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else body_seal(value)
