"""One email address, one identity, whatever its case or Unicode form.

Every door that takes an address from a person runs it through `email_normalise` before it looks
anything up or stores it: the portal's and the admin's sign-in, the lockout counter (django-axes,
through `axes_username`), password reset, invitations and `User.objects.create_user`. The
database backs the rule with a unique index on the lower-cased address.
"""

import unicodedata

from django.http import HttpRequest


def email_normalise(email: str | None) -> str:
    """The address as the product stores and compares it: NFKC, trimmed, lower case.

    NFKC folds look-alike forms (full-width letters, ligatures) into their plain letters.
    lower(), not casefold(): casefold turns "ß" into "ss", which names another mailbox, and
    lower() is what the database's unique index on Lower("email") compares. The second NFKC keeps
    the result stable when lower-casing yields a character NFKC would change.
    """
    folded = unicodedata.normalize("NFKC", email or "").strip().lower()
    return unicodedata.normalize("NFKC", folded)


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the lockout counts failures per normalised address, so
    "MULTI@x" and "multi@x" share one counter, in the portal and the admin alike."""
    if credentials:
        typed = credentials.get("username")
    else:
        typed = getattr(request, "POST", {}).get("username")
    return email_normalise(typed) if typed else None
