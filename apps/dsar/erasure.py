"""Erasure that reaches every copy (GDPR Art. 17; DPA clauses 7 and 9).

A person's identifier is typed into more places than the field that holds it: a ticket's
details, replies, internal notes, status notes, extension reasons and resolution; propagation
notes; attachments' names; the outbox messages that quoted them; and, outside the ticket, a
failed sign-in's login name, a logged path's query string, an admin log line, a job's text or a
task's result. An erasure finds each of these, in the rows and in their history rows, and puts
ERASED in place of every occurrence of the identifier, in any case, URL-encoded, or as an
upload's file name keeps it (LOGGED_TEXT lists the stores outside a ticket).
History rows change only through the trail's scrub (`history_rows_scrub`), so the chain still
verifies and records each scrub.

What stays, for proof: a keyed hash of the identifier on the ticket (HMAC-SHA256 under the
audit chain's current key, named by its id), so that staff can check later whether a given
identifier was the one erased without the database keeping it.
"""

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from apps.core.history import history_save
from apps.dsar.models import (
    SCRUBBED,
    DsarAttachment,
    DsarPropagation,
    DsarTicket,
    DsarTimelineEntry,
)
from apps.notifications.models import Notification
from apps.trail.keys import UnknownChainKey, chain_mac, current_key_id
from apps.trail.services import history_rows_scrub

# What an erased occurrence reads as, in text that otherwise stays.
ERASED = "[erased]"
# Outside a ticket (security events, logs, jobs, task results) an identifier is searched for in
# every row; a shorter one ("42") would match text that is not about the person.
GLOBAL_MIN_LENGTH = 6
# How many identifiers one search of a log table looks for (a customer's deletion has many).
LOGS_BATCH = 25
# Keeps the hash of one purpose apart from any other use of the chain's key.
PROOF_CONTEXT = "dsar.erased-identifier"


# --- the proof ---------------------------------------------------------------------------------


def _normalised(identifier: str) -> str:
    return (identifier or "").strip().casefold()


def erasure_proof(identifier: str, *, key_id: str | None = None) -> str:
    """`<key id>:<HMAC-SHA256 hex>` of the identifier (trimmed, case-folded)."""
    key_id = key_id or current_key_id()
    digest = chain_mac(key_id=key_id, message=f"{PROOF_CONTEXT}:{_normalised(identifier)}")
    return f"{key_id}:{digest}"


def erasure_proof_matches(*, proof: str, identifier: str) -> bool:
    """Whether `identifier` is the one whose keyed hash `proof` is (under the key it names)."""
    key_id, _, digest = (proof or "").partition(":")
    if not (key_id and digest and _normalised(identifier)):
        return False
    try:
        expected = erasure_proof(identifier, key_id=key_id)
    except UnknownChainKey:
        return False
    return hmac.compare_digest(expected, proof)


# --- finding and replacing ---------------------------------------------------------------------


class Redactor:
    """Every way an identifier may be written (as typed, any case, URL-encoded), and its
    replacement in text, in JSON, and as a database filter."""

    def __init__(
        self, identifiers: Iterable[str], *, min_length: int = 1, replacement: str = ERASED
    ):
        self.replacement = replacement
        needles: set[str] = set()
        for identifier in identifiers:
            identifier = (identifier or "").strip()
            if len(identifier) < min_length or identifier in (SCRUBBED, ERASED):
                continue
            needles |= {
                identifier,
                quote(identifier, safe=""),
                quote_plus(identifier),
                # As an attachment's name keeps it (apps/dsar/uploads.py: sanitise_filename).
                re.sub(r"[^\w.\- ]", "_", identifier),
            }
        self.needles = sorted(needles, key=lambda n: (-len(n), n))
        # A short identifier ("42") is erased where it stands alone, not inside "2042".
        self._pattern = (
            re.compile(
                "|".join(
                    re.escape(n) if len(n) >= GLOBAL_MIN_LENGTH else rf"(?<!\w){re.escape(n)}(?!\w)"
                    for n in self.needles
                ),
                re.IGNORECASE,
            )
            if self.needles
            else None
        )

    def __bool__(self) -> bool:
        return bool(self.needles)

    def text(self, value: Any) -> Any:
        if not isinstance(value, str) or self._pattern is None:
            return value
        return self._pattern.sub(lambda _: self.replacement, value)

    def json(self, value: Any) -> Any:
        """Text, or JSON (lists, objects, their keys and strings) with the identifier erased."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {self.text(k): self.json(v) for k, v in value.items()}
        return value

    def q(self, fields: Iterable[str]) -> Q:
        """Rows where any of `fields` holds any form of the identifier (never all rows)."""
        query = Q(pk__in=[])
        for name in fields:
            for needle in self.needles:
                query |= Q(**{f"{name}__icontains": needle})
        return query


@dataclass
class ErasureCounts:
    """How many rows an erasure rewrote (or deleted), and how many history rows it scrubbed."""

    rows: int = 0
    history_rows: int = 0

    def add(self, *, rows: int = 0, history_rows: int = 0) -> None:
        self.rows += rows
        self.history_rows += history_rows

    def merge(self, other: "ErasureCounts") -> None:
        self.rows += other.rows
        self.history_rows += other.history_rows


def _has_history(model) -> bool:
    return hasattr(model, "history") and hasattr(model.history, "model")


def _redacted(row, fields: Iterable[str], redactor: Redactor) -> dict[str, Any]:
    changes = {}
    for name in fields:
        before = getattr(row, name)
        after = redactor.json(before)
        if after != before:
            # The replacement may be longer than what it replaces: a short column keeps its
            # length, with room for the row's id where the column is unique.
            limit = getattr(row._meta.get_field(name), "max_length", None)
            if limit and isinstance(after, str):
                after = after[: limit - 12]
            changes[name] = after
    return changes


def rows_redact(
    *,
    rows: models.QuerySet,
    fields: list[str],
    redactor: Redactor,
    by: AbstractBaseUser | None,
    reason: str,
    search: bool = True,
    unique: tuple[str, ...] = (),
) -> ErasureCounts:
    """Replace the identifier in `fields` of `rows` and of their history rows.

    With `search`, `rows` is a whole table: the database narrows it to the rows holding the
    identifier, and every history row of the model is searched too (a row deleted since keeps
    its history). Without it every row given is read (one ticket's), with its history. A model
    with history is saved with `by` and `reason`, and its history rows go through the trail's
    scrub; a model without history (logs, task results) is updated in place. A field in
    `unique` that changes gets the row's id after it, so two rows never end up the same.
    """
    counts = ErasureCounts()
    model = rows.model
    if not redactor:
        return counts
    candidates = rows.filter(redactor.q(fields)) if search else rows
    changed = 0
    history = _has_history(model)
    for row in candidates.order_by("pk"):
        changes = _redacted(row, fields, redactor)
        if not changes:
            continue
        for name in unique:
            if name in changes and changes[name]:
                changes[name] = f"{changes[name]}#{row.pk}"
        if history:
            for name, value in changes.items():
                setattr(row, name, value)
            history_save(row, by=by, reason=reason)
        else:
            model._default_manager.filter(pk=row.pk).update(**changes)
        changed += 1
    counts.add(rows=changed)
    if history:
        scope = Q() if search else Q(**{f"{model._meta.pk.attname}__in": rows.values("pk")})
        scrubbed = history_redact(
            history_model=model.history.model,
            scope=scope,
            fields=fields,
            redactor=redactor,
            by=by,
            reason=reason,
            search=search,
        )
        counts.add(history_rows=scrubbed)
    return counts


def history_redact(
    *,
    history_model,
    scope: Q,
    fields: list[str],
    redactor: Redactor,
    by: AbstractBaseUser | None,
    reason: str,
    search: bool = True,
) -> int:
    """Scrub the identifier from the history rows in `scope`, one row at a time through the
    trail's scrub (each row its own values); returns how many rows changed."""
    names = {f.name for f in history_model._meta.get_fields()}
    fields = [f for f in fields if f in names]
    rows = history_model._default_manager.filter(scope)
    if search:
        rows = rows.filter(redactor.q(fields))
    scrubbed = 0
    for row in rows.order_by("history_id"):
        values = _redacted(row, fields, redactor)
        if not values:
            continue
        scrubbed += history_rows_scrub(
            rows=history_model._default_manager.filter(pk=row.pk),
            values=values,
            by=by,
            reason=reason,
        )
    return scrubbed


# --- where text about a person may be kept, outside a ticket -----------------------------------

# (app label, model name, text fields searched). Named, not imported, where the model belongs to
# a layer above this one or to a library.
LOGGED_TEXT: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("accounts", "SecurityEvent", ("username", "path", "detail")),
    ("audit", "AuditAccessLog", ("path",)),
    ("jobs", "Job", ("title", "summary", "step", "failure_reason", "arguments", "result_label")),
    ("notifications", "Notification", ("recipient", "subject", "last_error", "dedupe_key")),
    ("admin", "LogEntry", ("object_repr", "change_message")),
    ("django_tasks_database", "DBTaskResult", ("args_kwargs", "return_value", "traceback")),
)
# Sign-in attempts django-axes keeps for its lockouts, with the login name as typed: a row naming
# the identifier is deleted (it has no history, and a counter with the name erased counts
# nothing; its unique key is the name itself).
DELETED_WHEN_NAMING: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("axes", "AccessAttempt", ("username", "path_info", "get_data", "post_data")),
    ("axes", "AccessFailureLog", ("username", "path_info")),
    ("axes", "AccessLog", ("username", "path_info")),
)


def _logged_models(stores=LOGGED_TEXT):
    for app_label, model_name, fields in stores:
        try:
            yield apps.get_model(app_label, model_name), list(fields)
        except LookupError:  # a backend or app that is not installed here
            continue


def logs_redact(
    *, identifiers: Iterable[str], by: AbstractBaseUser | None, reason: str
) -> ErasureCounts:
    """Replace the identifiers wherever the product logged or queued text: security events,
    auditors' access log, jobs, outbox subjects and recipients, the admin's log, task results,
    and their history rows. Each table is searched once per LOGS_BATCH identifiers."""
    counts = ErasureCounts()
    identifiers = sorted(set(identifiers))
    for start in range(0, len(identifiers), LOGS_BATCH):
        redactor = Redactor(identifiers[start : start + LOGS_BATCH], min_length=GLOBAL_MIN_LENGTH)
        if not redactor:
            continue
        for model, fields in _logged_models(DELETED_WHEN_NAMING):
            deleted, _ = model._default_manager.filter(redactor.q(fields)).delete()
            counts.add(rows=deleted)
        for model, fields in _logged_models():
            counts.merge(
                rows_redact(
                    rows=model._default_manager.all(),
                    fields=fields,
                    redactor=redactor,
                    by=by,
                    reason=reason,
                    unique=("dedupe_key",) if model is Notification else (),
                )
            )
    return counts


def notifications_redact(
    *, rows: models.QuerySet, redactor: Redactor, by: AbstractBaseUser | None, reason: str
) -> ErasureCounts:
    """Outbox messages: the body is encrypted (no database search reaches it), so each message
    given is opened and its recipient, subject, body, error and key rewritten; the history keeps
    no body."""
    return rows_redact(
        rows=rows,
        fields=["recipient", "subject", "body", "last_error", "dedupe_key"],
        redactor=redactor,
        by=by,
        reason=reason,
        search=False,
        unique=("dedupe_key",),
    )


# --- a ticket ----------------------------------------------------------------------------------

TICKET_TEXT = ["details", "extension_reason", "resolution", "submission_token"]


def ticket_identifiers(ticket: DsarTicket) -> list[str]:
    """Every identifier the ticket has held: a rectified one is the same person."""
    values = set(
        ticket.history.model._default_manager.filter(id=ticket.pk).values_list(
            "data_subject_identifier", flat=True
        )
    )
    values.add(ticket.data_subject_identifier)
    return sorted(v for v in values if v and v.strip() and v not in (SCRUBBED, ERASED))


def dsar_ticket_erase_everywhere(
    *,
    ticket: DsarTicket,
    by: AbstractBaseUser | None,
    reason: str,
    scrubbed_at,
    scrubbed_by: str,
    logs: bool = True,
) -> ErasureCounts:
    """Erase the data subject of a locked `ticket` from every copy (run inside a transaction).

    The identifier field becomes SCRUBBED and the ticket keeps the keyed hash of the identifier;
    every other copy, on the ticket, its timeline, propagations, attachments' names, the outbox
    messages about it, the logs, and all their history rows, reads ERASED in its place. With
    `logs` off the caller searches the logs itself, once for many tickets (`logs_redact` with
    `ticket_identifiers`).
    """
    identifiers = ticket_identifiers(ticket)
    redactor = Redactor(identifiers)
    counts = ErasureCounts()
    changes = _redacted(ticket, TICKET_TEXT, redactor)
    if changes.get("submission_token"):
        # Unique per controller: two tokens that both read "[erased]" must still differ.
        changes["submission_token"] += f"#{ticket.pk}"
    if ticket.data_subject_identifier != SCRUBBED:
        changes["data_subject_identifier"] = SCRUBBED
        if not ticket.erased_identifier_hash:
            changes["erased_identifier_hash"] = erasure_proof(ticket.data_subject_identifier)
    if ticket.scrubbed_at is None:
        changes |= {"scrubbed_at": scrubbed_at, "scrubbed_by": scrubbed_by}
    if changes:
        for name, value in changes.items():
            setattr(ticket, name, value)
        history_save(ticket, by=by, reason=reason)
        counts.add(rows=1)
    # Past rows: the identifier field scrubbed, every other copy erased. The proof stays on
    # the rows written from now on.
    history = DsarTicket.history.model
    for row in history.objects.filter(id=ticket.pk).order_by("history_id"):
        values = _redacted(row, TICKET_TEXT, redactor)
        if row.data_subject_identifier != SCRUBBED:
            values["data_subject_identifier"] = SCRUBBED
        if values:
            scrubbed = history_rows_scrub(
                rows=history.objects.filter(pk=row.pk), values=values, by=by, reason=reason
            )
            counts.add(history_rows=scrubbed)
    for model, fields in (
        (DsarTimelineEntry, ["body"]),
        (DsarPropagation, ["note"]),
        (DsarAttachment, ["original_name"]),
    ):
        counts.merge(
            rows_redact(
                rows=model.objects.filter(ticket_id=ticket.pk),
                fields=fields,
                redactor=redactor,
                by=by,
                reason=reason,
                search=False,
            )
        )
        # Rows deleted since (an attachment removed) keep history rows of their own.
        live = model.objects.filter(ticket_id=ticket.pk).values("pk")
        counts.add(
            history_rows=history_redact(
                history_model=model.history.model,
                scope=Q(ticket_id=ticket.pk) & ~Q(id__in=live),
                fields=fields,
                redactor=redactor,
                by=by,
                reason=reason,
            ),
        )
    ticket_type = ContentType.objects.get_for_model(DsarTicket)
    counts.merge(
        notifications_redact(
            rows=Notification.objects.filter(related_type=ticket_type, related_id=str(ticket.pk)),
            redactor=redactor,
            by=by,
            reason=reason,
        )
    )
    if logs:
        counts.merge(logs_redact(identifiers=identifiers, by=by, reason=reason))
    return counts


# --- a person's account ------------------------------------------------------------------------


def user_erase_everywhere(
    *, email: str, placeholder: str, by: AbstractBaseUser | None, reason: str
) -> ErasureCounts:
    """Erase an erased account's former e-mail address from every copy (inside a transaction).

    Outbox messages addressed to it are addressed to `placeholder` instead, lose their body, and
    are cancelled if still waiting; the address is erased from their history, and from the
    logs (security events naming it, access log paths, jobs, the admin's log, task results).
    """
    counts = ErasureCounts()
    redactor = Redactor([email], replacement=placeholder)
    changed = 0
    for message in Notification.objects.filter(recipient__iexact=email.strip()).order_by("pk"):
        message.recipient = placeholder
        message.subject = redactor.text(message.subject)
        message.last_error = redactor.text(message.last_error)
        message.dedupe_key = redactor.text(message.dedupe_key)
        message.body = ""
        if message.status == Notification.Status.PENDING:
            message.status = Notification.Status.CANCELLED
            message.claim_token = message.claimed_until = None
        history_save(message, by=by, reason=reason)
        changed += 1
    counts.add(rows=changed)
    history = Notification.history.model
    counts.add(
        history_rows=history_redact(
            history_model=history,
            scope=Q(),
            fields=["recipient", "subject", "last_error", "dedupe_key"],
            redactor=redactor,
            by=by,
            reason=reason,
        ),
    )
    counts.merge(logs_redact(identifiers=[email], by=by, reason=reason))
    return counts
