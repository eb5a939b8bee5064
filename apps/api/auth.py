"""Who calls the API: a bearer token, checked on every request, then rate-limited.

The token's user becomes `request.user`, so the history of whatever the request changes names
that person (HistoryRequestMiddleware) and the trail names the door "api". Sessions are never
read: a browser signed in to the portal gets nothing from the API without a token, so no page
elsewhere can make it act (no CSRF).
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from apps.api.problems import Problem
from apps.integrations.models import ApiToken
from apps.integrations.services import TokenRefused, api_token_use_record, api_token_verify

RATE_WINDOW_SECONDS = 60


def rate_limit_check(*, token: ApiToken, now: float | None = None) -> None:
    """Count the request in the token's current minute; 429 with Retry-After past the limit.

    A fixed window in the cache (CACHE_URL), so the count is shared by every app server that
    shares the cache.
    """
    now = time.time() if now is None else now
    window = int(now // RATE_WINDOW_SECONDS)
    key = f"api-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: this request starts the count
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS + 5)
        count = 1
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now))
        raise Problem(
            status=429,
            detail=f"This token may send {limit} requests a minute; wait {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        try:
            api_token = api_token_verify(raw=token.strip())
        except TokenRefused as refusal:
            raise Problem(
                status=401,
                detail=str(refusal),
                headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
            ) from None
        rate_limit_check(token=api_token)
        request.user = api_token.user
        api_token_use_record(token=api_token, request=request)
        return api_token


def caller(request: HttpRequest) -> ApiToken:
    """The token the request was authenticated with (ninja stores it as `request.auth`)."""
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        raise Problem(status=401, detail="Send a valid API token.")
    return token
