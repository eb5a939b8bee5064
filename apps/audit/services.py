"""Writes of customer audits: grant, revoke, accept the terms, log a page tried."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import client_ip
from apps.audit.models import AuditAccessLog, AuditArea, AuditGrant, validate_areas
from apps.controllers.models import Controller, Membership
from apps.controllers.services import membership_invite
from apps.core.history import history_save


def audit_grant_check(
    *,
    controller: Controller,
    auditor_email: str,
    areas: list[str],
    starts_at: datetime.datetime,
    expires_at: datetime.datetime,
    by: User,
) -> None:
    """The rules of a new grant, as field errors; the admin and portal forms call it first."""

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
            # Staff learn why; a customer admin learns nothing about who works for us.
            errors["auditor_email"] = (
                "This is a staff account; staff audit in the admin."
                if by.is_staff
                else "This address cannot be given an audit; ask the privacy team."
            )
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
    controller: Controller,
    auditor_email: str,
    auditor_name: str,
    areas: list[str],
    starts_at: datetime.datetime,
    expires_at: datetime.datetime,
    terms: str,
    terms_version: str,
    by: User,
) -> AuditGrant:
    """Give a named auditor read-only access to one controller's chosen areas until expires_at.

    The access is an auditor membership made by the portal's invitation service (a new person is
    invited to set a password), ending when the grant ends.
    """

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
        history_save(old, by=by, reason="audit.grant.membership_replaced")
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
    history_save(grant, by=by, reason="audit.grant.created")
    return grant


@transaction.atomic
def audit_grant_revoke(*, grant: AuditGrant, by: User) -> AuditGrant:
    """End an audit now: the grant is marked revoked and its membership ends this instant."""
    grant = AuditGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise ValidationError("This audit was already revoked.")
    now = timezone.now()
    grant.revoked_at = now
    grant.revoked_by = by
    history_save(grant, by=by, reason="audit.grant.revoked")
    membership = grant.membership
    if membership is not None and (membership.expires_at is None or membership.expires_at > now):
        membership.expires_at = now
        history_save(membership, by=by, reason="audit.grant.revoked")
    return grant


@transaction.atomic
def audit_terms_accept(*, grant: AuditGrant, by: User, ip: str | None) -> AuditGrant:
    """Record that the auditor accepted the audit's confidentiality terms (once; kept as first)."""
    grant = AuditGrant.objects.select_for_update().get(pk=grant.pk)
    if by.pk != grant.auditor_id:
        raise ValidationError("Only the named auditor can accept the terms.")
    if grant.terms_accepted_at is None:
        grant.terms_accepted_at = timezone.now()
        grant.terms_accepted_ip = ip
        history_save(grant, by=by, reason="audit.grant.terms_accepted")
    return grant


def audit_access_record(
    *, grant: AuditGrant, request: HttpRequest, url_name: str, status: int | None = None
) -> AuditAccessLog:
    """Log one page an auditor tried, with the status it answered: one INSERT, no history (the
    log is append-only).

    Called after the response, outside the request's transaction (the portal's
    AuditAccessLogMiddleware), so that a page refused or failed, whose transaction is rolled
    back, still leaves its line; it commits on its own.
    """
    return AuditAccessLog.objects.create(
        grant=grant,
        controller_id=grant.controller_id,
        path=request.path[:500],
        url_name=url_name[:150],
        method=(request.method or "")[:10],
        ip=client_ip(request=request),
        status=status,
    )
