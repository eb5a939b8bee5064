"""The keys of the chain: HMAC-SHA256 under secrets from the environment, never the database.

`AUDIT_CHAIN_KEY` (with its id `AUDIT_CHAIN_KEY_ID`) seals new entries, marks and checkpoints;
`AUDIT_CHAIN_RETIRED_KEYS` lists older keys by id so that what they sealed still verifies.
"""

import hashlib
import hmac

from django.conf import settings


class UnknownChainKey(LookupError):
    pass


def current_key_id() -> str:
    return settings.AUDIT_CHAIN_KEY_ID


def chain_mac(*, key_id: str, message: str) -> str:
    """The HMAC-SHA256 of `message` under the key named `key_id`, as hex."""
    secret = settings.AUDIT_CHAIN_KEYS.get(key_id)
    if not secret:
        raise UnknownChainKey(f"no chain key with id {key_id!r} is configured")
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def chain_mac_matches(*, key_id: str, message: str, mac: str) -> bool:
    try:
        expected = chain_mac(key_id=key_id, message=message)
    except UnknownChainKey:
        return False
    return hmac.compare_digest(expected, mac)
