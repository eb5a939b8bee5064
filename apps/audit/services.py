"""Writes to the trail (seal a history row, scrub personal data from history rows) and of
customer audits (grant, revoke, accept the terms, log a page opened)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.audit import chain
from apps.audit.guards import allow_history_scrub
from apps.audit.models import (
    GENESIS_HASH,
    AuditAccessLog,
    AuditArea,
    AuditGrant,
    Door,
    TrailEntry,
    TrailScrub,
    validate_areas,
)

# Any constant shared by every writer; pg_advisory_xact_lock takes a bigint.
TRAIL_LOCK_KEY = 7_301_994_001


def current_door() -> str:
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return Door.COMMAND
    return Door.ADMIN if request.path.startswith("/admin/") else Door.PORTAL


def _lock_chain(using: str) -> None:
    connection = connections[using]
    # Two writers must not both read the same last entry. On SQLite writes are serialised.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TRAIL_LOCK_KEY])


def trail_entry_record(*, history_row, using: str = "default", door: str | None = None):
    """Append the entry that seals `history_row` to the chain."""
    history_model = type(history_row)
    with transaction.atomic(using=using):
        _lock_chain(using)
        # Read back what the database holds, so the hash is of the stored values exactly.
        stored = history_model._default_manager.using(using).get(pk=history_row.pk)
        m2m = chain.m2m_rows_for(history_model, [stored.pk])[stored.pk]
        content_hash = chain.content_hash(stored, m2m)
        last = TrailEntry.objects.using(using).order_by("-seq").values("seq", "row_hash").first()
        seq = last["seq"] + 1 if last else 1
        prev_hash = last["row_hash"] if last else GENESIS_HASH
        door = door or current_door()
        label = history_model._meta.label_lower
        user_id = getattr(stored, "history_user_id", None)
        user = getattr(history_row, "history_user", None) if user_id else None
        return TrailEntry.objects.using(using).create(
            seq=seq,
            history_model=label,
            history_id=stored.pk,
            object_model=stored.instance_type._meta.label_lower,
            object_id=str(getattr(stored, stored.instance_type._meta.pk.attname)),
            object_repr=_repr(stored),
            history_type=stored.history_type,
            history_date=stored.history_date,
            user_id=user_id,
            user_repr=str(getattr(user, "email", "") or user or "")[:254],
            door=door,
            change_reason=stored.history_change_reason or "",
            controller_id=chain.controller_id_of(stored),
            content_hash=content_hash,
            prev_hash=prev_hash,
            row_hash=chain.link_hash(
                prev_hash=prev_hash,
                seq=seq,
                door=door,
                history_model=label,
                history_id=stored.pk,
                content_hash=content_hash,
            ),
        )


def _repr(history_row) -> str:
    try:
        text = str(history_row.instance)
    except Exception:  # a repr that follows a deleted relation must not stop the write
        text = f"{history_row.instance_type.__name__} {history_row.pk}"
    return text[:300]


def trail_seal_unchained(*, dry_run: bool = False, chunk_size: int = 2000) -> int:
    """Seal history rows that have no entry (written before apps.audit, or by a bulk path).

    Rows are sealed in date order under the door "command", a chunk at a time: one read of the
    rows, their many-to-many rows, their users and the objects their names follow, then one
    insert of the entries. The hashes are those `trail_entry_record` would write row by row.
    Returns how many were (or would be) sealed.
    """
    from django.db.models import Exists, OuterRef

    sealed = 0
    for history_model in chain.history_models():
        label = history_model._meta.label_lower
        unchained = history_model._default_manager.exclude(
            Exists(
                TrailEntry.objects.filter(history_model=label, history_id=OuterRef("history_id"))
            )
        ).order_by("history_date", "history_id")
        if dry_run:
            sealed += unchained.count()
            continue
        # Ids first: the rows are read again inside each chunk's transaction.
        ids = list(unchained.values_list("history_id", flat=True))
        for start in range(0, len(ids), chunk_size):
            sealed += _seal_chunk(history_model, ids[start : start + chunk_size])
    return sealed


def _seal_chunk(history_model, ids: list[int], using: str = "default") -> int:
    from apps.accounts.models import User

    label = history_model._meta.label_lower
    with transaction.atomic(using=using):
        _lock_chain(using)
        by_id = history_model._default_manager.using(using).in_bulk(ids)
        rows = [by_id[i] for i in ids if i in by_id]
        m2m = chain.m2m_rows_for(history_model, [r.pk for r in rows])
        user_ids = {getattr(r, "history_user_id", None) for r in rows} - {None}
        emails = dict(User.objects.using(using).filter(pk__in=user_ids).values_list("pk", "email"))
        reprs = chain.object_labels(rows, using)
        last = TrailEntry.objects.using(using).order_by("-seq").values("seq", "row_hash").first()
        seq = last["seq"] if last else 0
        prev_hash = last["row_hash"] if last else GENESIS_HASH
        entries = []
        for row in rows:
            seq += 1
            content_hash = chain.content_hash(row, m2m[row.pk])
            row_hash = chain.link_hash(
                prev_hash=prev_hash,
                seq=seq,
                door=Door.COMMAND,
                history_model=label,
                history_id=row.pk,
                content_hash=content_hash,
            )
            user_id = getattr(row, "history_user_id", None)
            entries.append(
                TrailEntry(
                    seq=seq,
                    history_model=label,
                    history_id=row.pk,
                    object_model=row.instance_type._meta.label_lower,
                    object_id=str(getattr(row, row.instance_type._meta.pk.attname)),
                    object_repr=reprs[row.pk],
                    history_type=row.history_type,
                    history_date=row.history_date,
                    user_id=user_id,
                    user_repr=str(emails.get(user_id, "") or "")[:254],
                    door=Door.COMMAND,
                    change_reason=row.history_change_reason or "",
                    controller_id=chain.controller_id_of(row),
                    content_hash=content_hash,
                    prev_hash=prev_hash,
                    row_hash=row_hash,
                )
            )
            prev_hash = row_hash
        TrailEntry.objects.using(using).bulk_create(entries, batch_size=1000)
    return len(entries)


def history_rows_scrub(*, rows, values: dict, by, reason: str) -> int:
    """Overwrite personal data in history rows (an erasure reaching the past), and record it.

    `rows` is a queryset of one history model; `values` maps field names to their replacement.
    The chain stays valid: each scrub records the row's content hash before and after.
    """
    history_model = rows.model
    label = history_model._meta.label_lower
    count = 0
    with allow_history_scrub():
        for row in rows.order_by("history_id").iterator(chunk_size=500):
            entry = TrailEntry.objects.get(history_model=label, history_id=row.pk)
            m2m = chain.m2m_rows_for(history_model, [row.pk])[row.pk]
            before = chain.content_hash(row, m2m)
            history_model._default_manager.filter(pk=row.pk).update(**values)
            after_row = history_model._default_manager.get(pk=row.pk)
            TrailScrub.objects.create(
                entry=entry,
                fields=sorted(values),
                reason=reason,
                scrubbed_by=by,
                before_content_hash=before,
                after_content_hash=chain.content_hash(after_row, m2m),
            )
            count += 1
    return count


# Customer audits ---------------------------------------------------------------------------


def audit_grant_check(
    *,
    controller,
    auditor_email: str,
    areas: list[str],
    starts_at: datetime.datetime,
    expires_at: datetime.datetime,
    by,
) -> None:
    """The rules of a new grant, as field errors; the admin and portal forms call it first."""
    from apps.accounts.models import User
    from apps.controllers.models import Membership

    errors: dict[str, str] = {}
    if not by.is_staff and not (
        Membership.objects.current()
        .filter(user=by, controller=controller, role=Membership.Role.ADMIN)
        .exists()
    ):
        raise ValidationError("Only staff or an admin of this organisation can grant an audit.")
    try:
        validate_areas(list(areas))
    except ValidationError as error:
        errors["areas"] = " ".join(error.messages)
    if expires_at <= starts_at:
        errors["expires_at"] = "The audit must end after it starts."
    elif expires_at <= timezone.now():
        errors["expires_at"] = "The audit must end in the future."
    existing = User.objects.filter(email__iexact=auditor_email.strip()).first()
    if existing is not None:
        if existing.is_staff:
            errors["auditor_email"] = "This is a staff account; staff audit in the admin."
        elif Membership.objects.current().filter(user=existing, controller=controller).exists():
            errors["auditor_email"] = (
                f"{existing.email} already has access to {controller}; "
                "revoke it or let it end first."
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def audit_grant_create(
    *,
    controller,
    auditor_email: str,
    auditor_name: str,
    areas: list[str],
    starts_at: datetime.datetime,
    expires_at: datetime.datetime,
    terms: str,
    terms_version: str,
    by,
) -> AuditGrant:
    """Give a named auditor read-only access to one controller's chosen areas until expires_at.

    The access is an auditor membership made by the portal's invitation service (a new person is
    invited to set a password), ending when the grant ends.
    """
    from apps.controllers.models import Membership
    from apps.portal.services import membership_invite

    areas = [a for a in AuditArea.values if a in set(areas)]
    audit_grant_check(
        controller=controller,
        auditor_email=auditor_email,
        areas=areas,
        starts_at=starts_at,
        expires_at=expires_at,
        by=by,
    )
    if not terms.strip() or not terms_version.strip():
        raise ValidationError({"terms": "The audit needs its confidentiality terms and version."})
    # An ended membership is replaced by the invitation: its old grant lets go of it first, saved
    # with history (a cascade's SET NULL would skip it).
    for old in AuditGrant.objects.filter(
        membership__controller=controller, membership__user__email__iexact=auditor_email.strip()
    ):
        old.membership = None
        old._history_user = by
        old._change_reason = "audit.grant.membership_replaced"
        old.save()
    try:
        membership = membership_invite(
            controller=controller,
            email=auditor_email,
            full_name=auditor_name,
            role=Membership.Role.AUDITOR,
            invited_by=by,
            expires_at=expires_at,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict") and "email" in error.error_dict:
            raise ValidationError({"auditor_email": error.error_dict["email"]}) from error
        raise
    grant = AuditGrant(
        auditor=membership.user,
        controller=controller,
        membership=membership,
        areas=areas,
        starts_at=starts_at,
        expires_at=expires_at,
        terms=terms.strip(),
        terms_version=terms_version.strip(),
        created_by=by,
    )
    grant.full_clean()
    grant._history_user = by
    grant._change_reason = "audit.grant.created"
    grant.save()
    return grant


@transaction.atomic
def audit_grant_revoke(*, grant: AuditGrant, by) -> AuditGrant:
    """End an audit now: the grant is marked revoked and its membership ends this instant."""
    grant = AuditGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise ValidationError("This audit was already revoked.")
    now = timezone.now()
    grant.revoked_at = now
    grant.revoked_by = by
    grant._history_user = by
    grant._change_reason = "audit.grant.revoked"
    grant.save()
    membership = grant.membership
    if membership is not None and (membership.expires_at is None or membership.expires_at > now):
        membership.expires_at = now
        membership._history_user = by
        membership._change_reason = "audit.grant.revoked"
        membership.save()
    return grant


@transaction.atomic
def audit_terms_accept(*, grant: AuditGrant, by, ip: str | None) -> AuditGrant:
    """Record that the auditor accepted the audit's confidentiality terms (once; kept as first)."""
    grant = AuditGrant.objects.select_for_update().get(pk=grant.pk)
    if by.pk != grant.auditor_id:
        raise ValidationError("Only the named auditor can accept the terms.")
    if grant.terms_accepted_at is None:
        grant.terms_accepted_at = timezone.now()
        grant.terms_accepted_ip = ip
        grant._history_user = by
        grant._change_reason = "audit.grant.terms_accepted"
        grant.save()
    return grant


def audit_access_record(*, grant: AuditGrant, request, url_name: str) -> AuditAccessLog:
    """Log one page an auditor opened: one INSERT, no history (the log is append-only)."""
    from apps.accounts.services import client_ip

    return AuditAccessLog.objects.create(
        grant=grant,
        controller_id=grant.controller_id,
        path=request.path[:500],
        url_name=url_name[:150],
        method=request.method[:10],
        ip=client_ip(request),
    )
