"""Invitation links: single use and expiring, without a table.

The token hashes the user's password hash (as Django's password-reset tokens do), so it stops
working once the invitee sets a password. It expires after PORTAL_INVITATION_DAYS, a separate
setting from the password-reset timeout.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    # The salt keeps the module path it was first written under: links already sent stay valid.
    key_salt = "apps.portal.tokens.InvitationTokenGenerator"

    @property
    def timeout_seconds(self) -> int:
        return settings.PORTAL_INVITATION_DAYS * 24 * 60 * 60

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return (self._num_seconds(self._now()) - ts) <= self.timeout_seconds


invitation_token_generator = InvitationTokenGenerator()
