"""Every write to API tokens and webhook endpoints. The portal, the admin and the API call these.

Tokens: a secret is made once and shown once; only its sha256 is kept, under a short public
prefix that finds the row. Creation, the first use of each day and revocation are security
events; the last use is recorded at most once per API_TOKEN_LAST_USE_MINUTES, so a busy token
does not write a history row per request.

Webhooks: a change a customer subscribed to becomes a `WebhookMessage` (events.py) in the same
transaction, and its delivery is an outbox message on the "webhook" channel, which the outbox's
worker sends after the commit with its claims, retries and back-off (transport.py posts it).
"""

import base64
import datetime
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, Max, Min, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from apps.accounts.models import SecurityEvent, User
from apps.accounts.services import client_ip, security_event_record
from apps.controllers.models import Controller, Membership
from apps.core.history import history_delete, history_save
from apps.core.legaltime import format_instant
from apps.integrations.models import (
    ApiToken,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookMessage,
)
from apps.notifications.models import Notification
from apps.notifications.services import notification_enqueue

TOKEN_PREFIX = "ropa_"
# ropa_<12 hex: the public prefix>_<43 url-safe characters: 256 random bits>
TOKEN_PATTERN = re.compile(r"^ropa_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
WEBHOOK_CHANNEL = "webhook"


class TokenRefused(Exception):
    """The token cannot be used; the text says why, to the client holding it."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    # The whole token, shown to its creator once and never stored.
    secret: str


def api_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _is_admin_of(user: User | None, controller: Controller | int) -> bool:
    if user is None or not user.is_authenticated or not user.is_active or user.is_staff:
        return False
    return (
        Membership.objects.current()
        .filter(user=user, controller=controller, role=Membership.Role.ADMIN)
        .exists()
    )


def _check_admin(by: User | None, controller: Controller) -> None:
    """A customer user manages tokens and endpoints only as a current admin of the organisation;
    staff (the admin) are held by their permissions."""
    if by is not None and by.is_staff:
        return
    if not _is_admin_of(by, controller):
        raise ValidationError("Only an admin of this organisation can do this.")


# --- tokens -----------------------------------------------------------------------------------


def api_token_check(
    *, name: str, scope: str, expires_at: datetime.datetime | None, now: datetime.datetime
) -> None:
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = "Name the token after what uses it, e.g. “Help desk”."
    elif len(name.strip()) > 100:
        errors["name"] = "At most 100 characters."
    if scope not in ApiToken.Scope.values:
        errors["scope"] = "Choose read only, or read and write."
    longest = datetime.timedelta(days=settings.API_TOKEN_MAX_DAYS)
    if expires_at is None or timezone.is_naive(expires_at):
        errors["expires_at"] = "Give the date the token stops working."
    elif expires_at <= now:
        errors["expires_at"] = "The expiry must be in the future."
    elif expires_at > now + longest:
        errors["expires_at"] = (
            f"A token lasts at most {settings.API_TOKEN_MAX_DAYS} days; make a new one then."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def api_token_create(
    *,
    name: str,
    scope: str,
    expires_at: datetime.datetime,
    by: User,
    controller: Controller | None = None,
    includes_history: bool = False,
    request: HttpRequest | None = None,
) -> IssuedToken:
    """Make a token and return it with its secret, which is not kept.

    With `controller`, an organisation token made by one of its admins, acting as that admin.
    Without, the personal token of `by`, a staff member, acting with their role.
    """
    now = timezone.now()
    api_token_check(name=name, scope=scope, expires_at=expires_at, now=now)
    if controller is not None:
        if not _is_admin_of(by, controller):
            raise ValidationError("Only an admin of this organisation can create its tokens.")
    elif not (by.is_staff and by.is_active):
        raise ValidationError(
            "Personal tokens are for staff; customers create organisation tokens."
        )
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        name=name.strip(),
        controller=controller,
        user=by,
        scope=scope,
        includes_history=includes_history,
        prefix=prefix,
        secret_hash=api_token_hash(secret),
        created_at=now,
        expires_at=expires_at,
    )
    history_save(token, by=by, reason="integrations.token.created")
    security_event_record(
        kind=SecurityEvent.Kind.API_TOKEN_CREATED,
        request=request,
        user=by,
        detail=f"{_token_label(token)}, {token.get_scope_display().lower()}, expires "
        f"{format_instant(token.expires_at, datetime.UTC)}",
    )
    return IssuedToken(token=token, secret=secret)


def _token_label(token: ApiToken) -> str:
    owner = str(token.controller) if token.controller_id else f"personal, {token.user.email}"
    return f"“{token.name}” ({token.display_prefix}, {owner})"


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User, request: HttpRequest | None = None) -> ApiToken:
    locked = (
        ApiToken.objects.select_for_update(of=("self",))
        .select_related("controller", "user")
        .get(pk=token.pk)
    )
    if locked.controller is not None:
        _check_admin(by, locked.controller)
    elif not by.is_staff:
        raise ValidationError("Only staff can revoke a personal token.")
    if locked.revoked_at is not None:
        raise ValidationError(f"{locked.name} is already revoked.")
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    history_save(
        locked,
        by=by,
        reason="integrations.token.revoked",
        update_fields=["revoked_at", "revoked_by"],
    )
    security_event_record(
        kind=SecurityEvent.Kind.API_TOKEN_REVOKED,
        request=request,
        user=by,
        detail=_token_label(locked),
    )
    token.refresh_from_db()
    return locked


def api_token_verify(*, raw: str, at: datetime.datetime | None = None) -> ApiToken:
    """The token `raw` names, if it may be used now; else TokenRefused saying why.

    One query: the row by its prefix, with its user and organisation. An organisation token
    also needs its creator to be an admin of the organisation still (a second query).
    """
    at = at or timezone.now()
    match = TOKEN_PATTERN.match(raw or "")
    if match is None:
        raise TokenRefused("That is not an API token: send “Authorization: Bearer ropa_…”.")
    token = (
        ApiToken.objects.select_related("user", "controller").filter(prefix=match.group(1)).first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, api_token_hash(raw)):
        raise TokenRefused("This API token is not valid.")
    if token.revoked_at is not None:
        raise TokenRefused(
            f"This API token was revoked on {format_instant(token.revoked_at, datetime.UTC)}."
        )
    if token.expires_at <= at:
        raise TokenRefused(
            f"This API token expired on {format_instant(token.expires_at, datetime.UTC)}."
        )
    if not token.user.is_active:
        raise TokenRefused("The account this token acts for is deactivated.")
    if token.controller_id is None:
        if not token.user.is_staff:
            raise TokenRefused("This personal token belongs to no staff member.")
    elif not _is_admin_of(token.user, token.controller_id):
        raise TokenRefused(
            "The person who created this token no longer administers the organisation; an "
            "admin can create a new one."
        )
    return token


def api_token_use_record(
    *, token: ApiToken, request: HttpRequest | None = None, at: datetime.datetime | None = None
) -> None:
    """Note when and from where the token was last used, at most once per
    API_TOKEN_LAST_USE_MINUTES; the first use of each (UTC) day is a security event.

    A security event per request would bury every other event and the trail under a busy
    integration; once a day per token still shows when, from where and whether a token
    believed idle is in use.
    """
    at = at or timezone.now()
    every = datetime.timedelta(minutes=settings.API_TOKEN_LAST_USE_MINUTES)
    if token.last_used_at is not None and at - token.last_used_at < every:
        return
    with transaction.atomic():
        # Two requests at once: the one that finds the row locked leaves the note to the other.
        locked = ApiToken.objects.select_for_update(skip_locked=True).filter(pk=token.pk).first()
        if locked is None or (locked.last_used_at is not None and at - locked.last_used_at < every):
            return
        first_today = locked.last_used_at is None or locked.last_used_at.date() < at.date()
        locked.last_used_at = at
        locked.last_used_ip = client_ip(request=request)
        history_save(
            locked,
            by=token.user,
            reason="integrations.token.used",
            update_fields=["last_used_at", "last_used_ip"],
        )
        if first_today:
            security_event_record(
                kind=SecurityEvent.Kind.API_TOKEN_USED,
                request=request,
                user=token.user,
                detail=f"{_token_label(token)}: first use on {format_instant(at, datetime.UTC)}",
            )
    token.last_used_at = locked.last_used_at
    token.last_used_ip = locked.last_used_ip


# --- webhook endpoints ------------------------------------------------------------------------


def webhook_secret_make() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _private_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith((".localhost", ".local"))
    return not address.is_global


def webhook_url_check(url: str) -> str:
    """The URL, if we may post to it; else a ValidationError saying why.

    Nothing here resolves a name (no request talks to the network): a name is checked when a
    delivery connects, against the address it reached (transport.py).
    """
    url = (url or "").strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise ValidationError(
            {"url": "Enter a full URL, such as https://example.com/hooks."}
        ) from None
    if len(url) > 500:
        raise ValidationError({"url": "At most 500 characters."})
    parts = urlsplit(url)
    if settings.WEBHOOK_REQUIRE_HTTPS and parts.scheme != "https":
        raise ValidationError({"url": "Use an https:// URL: deliveries carry your data."})
    if parts.username or parts.password:
        raise ValidationError(
            {"url": "Put no user name or password in the URL; every delivery is signed."}
        )
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and _private_address(parts.hostname or ""):
        raise ValidationError({"url": "Use a public address: we do not post to private networks."})
    return url


def webhook_events_check(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events or []))
    unknown = [e for e in chosen if e not in WebhookEvent.values]
    if unknown or not chosen:
        raise ValidationError({"events": "Choose at least one of the listed events."})
    return chosen


@transaction.atomic
def webhook_endpoint_create(
    *, controller: Controller, url: str, events: Iterable[str], description: str = "", by: User
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown to the admin once)."""
    _check_admin(by, controller)
    url = webhook_url_check(url)
    chosen = webhook_events_check(events)
    if len(description or "") > 200:
        raise ValidationError({"description": "At most 200 characters."})
    secret = webhook_secret_make()
    endpoint = WebhookEndpoint(
        controller=controller,
        url=url,
        events=chosen,
        description=(description or "").strip(),
        secret=secret,
        created_by=by,
    )
    history_save(endpoint, by=by, reason="integrations.webhook.created")
    return endpoint, secret


def _deliveries_of(message_ids: Iterable[int]) -> QuerySet[Notification]:
    """The outbox messages that deliver these webhook messages (first sends and replays)."""
    return Notification.objects.filter(
        channel=WEBHOOK_CHANNEL,
        related_type=ContentType.objects.get_for_model(WebhookMessage),
        related_id__in=[str(pk) for pk in message_ids],
    )


def _cancel_waiting_deliveries(endpoint: WebhookEndpoint, *, by: User | None, reason: str) -> int:
    """Cancel the endpoint's deliveries still to be sent, those a sender holds right now too:
    the claim is taken from it, so it records nothing over the cancellation (the outbox records
    an outcome only under its own claim), and it sends nothing, finding the endpoint paused."""
    waiting = (
        _deliveries_of(
            WebhookMessage.objects.filter(endpoint=endpoint).values_list("pk", flat=True)
        )
        .filter(status=Notification.Status.PENDING)
        .select_for_update()
        .defer("body")
    )
    cancelled = 0
    for delivery in waiting:
        delivery.status = Notification.Status.CANCELLED
        delivery.claim_token = delivery.claimed_until = None
        history_save(
            delivery,
            by=by,
            reason=reason,
            update_fields=["status", "claim_token", "claimed_until", "updated_at"],
        )
        cancelled += 1
    return cancelled


@transaction.atomic
def webhook_endpoint_pause(
    *, endpoint: WebhookEndpoint, by: User | None, reason: str = ""
) -> WebhookEndpoint:
    """Stop posting to the endpoint. Events keep being recorded; resuming sends them."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if by is not None:
        _check_admin(by, locked.controller)
    if locked.status == WebhookEndpoint.Status.PAUSED:
        raise ValidationError("This endpoint is already paused.")
    locked.status = WebhookEndpoint.Status.PAUSED
    locked.paused_at = timezone.now()
    locked.pause_reason = (reason or "Paused by an admin.")[:300]
    history_save(
        locked,
        by=by,
        reason="integrations.webhook.paused",
        update_fields=["status", "paused_at", "pause_reason", "updated_at"],
    )
    _cancel_waiting_deliveries(locked, by=by, reason="integrations.webhook.paused")
    endpoint.refresh_from_db()
    return locked


def _undelivered(endpoint: WebhookEndpoint, *, since: datetime.datetime) -> list[WebhookMessage]:
    """Messages of the endpoint since `since` with no delivery sent or still on its way."""
    messages = list(
        WebhookMessage.objects.filter(endpoint=endpoint, created_at__gte=since).order_by(
            "created_at", "pk"
        )
    )
    live = set(
        _deliveries_of(m.pk for m in messages)
        .filter(status__in=[Notification.Status.PENDING, Notification.Status.SENT])
        .values_list("related_id", flat=True)
    )
    return [m for m in messages if str(m.pk) not in live]


@transaction.atomic
def webhook_endpoint_resume(*, endpoint: WebhookEndpoint, by: User) -> int:
    """Post to the endpoint again, starting with what it missed; returns how many are queued."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    _check_admin(by, locked.controller)
    if locked.status == WebhookEndpoint.Status.ACTIVE:
        raise ValidationError("This endpoint is already active.")
    locked.status = WebhookEndpoint.Status.ACTIVE
    locked.paused_at = None
    locked.pause_reason = ""
    history_save(
        locked,
        by=by,
        reason="integrations.webhook.resumed",
        update_fields=["status", "paused_at", "pause_reason", "updated_at"],
    )
    missed = _undelivered(locked, since=timezone.now() - _resume_window())
    for message in missed:
        _deliver(message, endpoint=locked)
    endpoint.refresh_from_db()
    return len(missed)


def _resume_window() -> datetime.timedelta:
    return datetime.timedelta(days=settings.WEBHOOK_RESUME_DAYS)


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, by: User) -> None:
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    _check_admin(by, locked.controller)
    _cancel_waiting_deliveries(locked, by=by, reason="integrations.webhook.deleted")
    history_delete(locked, by=by, reason="integrations.webhook.deleted")


# --- messages and their deliveries ------------------------------------------------------------


def _deliver(message: WebhookMessage, *, endpoint: WebhookEndpoint) -> Notification:
    """Queue one delivery of the message: an outbox message on the webhook channel, sent by the
    outbox's worker after the commit, retried with its back-off."""
    created = notification_enqueue(
        recipients=[endpoint.url],
        subject=f"{message.event_type} {message.message_id}",
        body=message.payload,
        kind=f"webhook.{message.event_type}",
        related=message,
        channel=WEBHOOK_CHANNEL,
    )
    return created[0]


def webhook_payload(*, event_type: str, data: dict, at: datetime.datetime) -> str:
    """The body, as Standard Webhooks suggests: {"type", "timestamp", "data"}."""
    return json.dumps(
        {"type": event_type, "timestamp": at.isoformat(), "data": data},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def webhook_event_record(
    *,
    event_type: str,
    data: dict,
    controllers: Iterable[int] | None = None,
    at: datetime.datetime | None = None,
) -> list[WebhookMessage]:
    """Record the event for every endpoint subscribed to it, of `controllers` (ids), or of every
    active organisation when None; queue a delivery to each endpoint that is not paused.

    Called inside the transaction of the change it reports: if that rolls back, nothing is sent.
    """
    at = at or timezone.now()
    endpoints = WebhookEndpoint.objects.filter(controller__status=Controller.Status.ACTIVE)
    if controllers is not None:
        endpoints = endpoints.filter(controller_id__in=list(controllers))
    messages = []
    for endpoint in endpoints.order_by("pk"):
        if event_type not in endpoint.events:
            continue
        message = WebhookMessage(
            endpoint=endpoint,
            message_id=f"msg_{secrets.token_hex(12)}",
            event_type=event_type,
            created_at=at,
            payload=webhook_payload(
                event_type=event_type,
                data={"organisation_id": endpoint.controller_id, **data},
                at=at,
            ),
        )
        history_save(message, by=None, reason="integrations.webhook.event")
        if endpoint.status == WebhookEndpoint.Status.ACTIVE:
            _deliver(message, endpoint=endpoint)
        messages.append(message)
    return messages


@transaction.atomic
def webhook_message_replay(*, message: WebhookMessage, by: User) -> Notification:
    """Send a message again, under its own id (a receiver that kept it can tell)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=message.endpoint_id)
    _check_admin(by, endpoint.controller)
    if endpoint.status != WebhookEndpoint.Status.ACTIVE:
        raise ValidationError("Resume the endpoint first; a paused endpoint is sent nothing.")
    if _deliveries_of([message.pk]).filter(status=Notification.Status.PENDING).exists():
        raise ValidationError("This message is already on its way; look again in a minute.")
    return _deliver(message, endpoint=endpoint)


def webhook_attempt_record(
    *,
    message: WebhookMessage,
    delivery_id: int,
    status_code: int | None,
    error: str,
    duration_ms: int,
    at: datetime.datetime | None = None,
) -> WebhookAttempt:
    """Record one try (outside the sender's claim, in its own short transaction) and pause the
    endpoint once it has failed for WEBHOOK_PAUSE_AFTER_HOURS, at least
    WEBHOOK_PAUSE_MIN_FAILURES times in a row; its admins are told by e-mail."""
    at = at or timezone.now()
    succeeded = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        attempt = WebhookAttempt(
            message=message,
            endpoint_id=message.endpoint_id,
            delivery_id=delivery_id,
            attempted_at=at,
            status_code=status_code,
            succeeded=succeeded,
            error=(error or "")[:500],
            duration_ms=max(0, duration_ms),
        )
        history_save(attempt, by=None, reason="integrations.webhook.attempt")
        if not succeeded:
            _pause_if_failing(message.endpoint_id, at=at)
    return attempt


def _pause_if_failing(endpoint_id: int, *, at: datetime.datetime) -> None:
    attempts = WebhookAttempt.objects.filter(endpoint_id=endpoint_id)
    last_success = attempts.filter(succeeded=True).aggregate(at=Max("attempted_at"))["at"]
    failing = attempts.filter(succeeded=False)
    if last_success is not None:
        failing = failing.filter(attempted_at__gt=last_success)
    streak = failing.aggregate(count=Count("pk"), since=Min("attempted_at"))
    hours = datetime.timedelta(hours=settings.WEBHOOK_PAUSE_AFTER_HOURS)
    if streak["count"] < settings.WEBHOOK_PAUSE_MIN_FAILURES or at - streak["since"] < hours:
        return
    endpoint = (
        WebhookEndpoint.objects.select_for_update(of=("self",))
        .select_related("controller")
        .filter(pk=endpoint_id, status=WebhookEndpoint.Status.ACTIVE)
        .first()
    )
    if endpoint is None:
        return
    since = format_instant(streak["since"], endpoint.controller.zone, zone_name=True)
    webhook_endpoint_pause(
        endpoint=endpoint,
        by=None,
        reason=f"Paused after {streak['count']} failed deliveries in a row since {since}.",
    )
    admins = (
        Membership.objects.current()
        .filter(controller=endpoint.controller, role=Membership.Role.ADMIN, user__is_active=True)
        .values_list("user__email", flat=True)
    )
    notification_enqueue(
        recipients=list(admins),
        subject=f"Webhook endpoint paused: {endpoint.url}"[:250],
        body=(
            f"We paused the webhook endpoint {endpoint.url} of {endpoint.controller}: every "
            f"delivery to it has failed since {since} ({streak['count']} attempts).\n\n"
            "Events are still recorded while it is paused. Once the endpoint answers again, "
            "resume it in the portal (API, Webhooks) and we send what it missed."
        ),
        kind="integrations.webhook_paused",
        related=endpoint,
        dedupe_key=f"integrations.webhook_paused:{endpoint.pk}:{endpoint.paused_at:%Y%m%d%H%M%S}",
    )
