"""Memberships: inviting and removing the people of a controller.

The admin (staff inviting a customer user) and the portal (a customer admin) call the same
functions, so the rules hold whichever door a change comes through.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.accounts.identity import email_normalise
from apps.accounts.models import SecurityEvent, User
from apps.accounts.services import security_event_record
from apps.accounts.tokens import invitation_token_generator
from apps.controllers.models import Controller, Membership
from apps.core.history import history_delete, history_save
from apps.notifications.emails import send_email

Role = Membership.Role


def invitation_url(*, user: User) -> str:
    path = reverse(
        "portal:invitation_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_token_generator.make_token(user),
        },
    )
    return f"{settings.PORTAL_BASE_URL}{path}"


class InvitationRefused(ValidationError):
    """The address belongs to an account that may not be invited (staff, or deactivated).

    A ValidationError, so the staff admin shows its message; the portal catches it and answers
    as for any invitation, since a customer must not learn which addresses have accounts here.
    The attempt is a security event for the privacy team.
    """


class StaffAddressInvited(InvitationRefused):
    """A staff address, which never becomes a customer user."""


class DeactivatedAccountInvited(InvitationRefused):
    """A deactivated account, which only the privacy team can bring back."""


def membership_invite(
    *,
    controller: Controller,
    email: str,
    full_name: str,
    role: str,
    invited_by: User,
    expires_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    """Give a person access to `controller` and email them.

    A new person gets a link to set a password (single use, expiring); someone who already has a
    password gets a link to sign in. A staff address is refused (StaffAddressInvited) and the
    attempt recorded as a security event for the privacy team.
    """
    email = email_normalise(email)
    if role not in Role.values:
        raise ValidationError({"role": "Choose admin, member or auditor."})
    if role == Role.AUDITOR and expires_at is None:
        raise ValidationError({"expires_at": "An auditor's access needs an expiry date."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The access must end in the future."})

    user = User.objects.by_email(email).first()
    if user is not None and user.is_staff:
        # Recorded before the invitation's transaction, which the refusal would roll back.
        security_event_record(
            kind=SecurityEvent.Kind.STAFF_INVITED,
            request=request,
            user=invited_by,
            username=email,
            detail=f"invited to {controller} as {Role(role).label}: refused, nothing created",
        )
        raise StaffAddressInvited({"email": "This is a staff account; staff work in the admin."})
    if user is not None and not user.is_active:
        security_event_record(
            kind=SecurityEvent.Kind.PERMISSION_DENIED,
            request=request,
            user=invited_by,
            username=email,
            detail=f"invited a deactivated account to {controller}: refused, nothing created",
        )
        raise DeactivatedAccountInvited(
            {"email": "This account is deactivated; ask the privacy team."}
        )
    with transaction.atomic():
        if user is None:
            user = User(email=email, full_name=full_name.strip())
            user.set_unusable_password()
            user.full_clean()
            history_save(user, by=invited_by, reason="portal.user.invited")

        existing = Membership.objects.filter(user=user, controller=controller).first()
        if existing is not None:
            if existing.is_current:
                raise ValidationError({"email": f"{email} is already a member of {controller}."})
            # An expired membership is replaced rather than duplicated.
            history_delete(existing, by=invited_by, reason="portal.membership.expired_replaced")

        membership = Membership(user=user, controller=controller, role=role, expires_at=expires_at)
        membership.full_clean()
        history_save(membership, by=invited_by, reason="portal.membership.invited")

        context = {
            "controller": controller,
            "invited_by": invited_by,
            "membership": membership,
            "user": user,
            "expiry_days": settings.PORTAL_INVITATION_DAYS,
        }
        if user.has_usable_password():
            context["login_url"] = f"{settings.PORTAL_BASE_URL}{reverse('portal:login')}"
            body = "portal/email/added_body.txt"
        else:
            context["invitation_url"] = invitation_url(user=user)
            body = "portal/email/invitation_body.txt"
        send_email(
            to=[user.email],
            subject_template="portal/email/invitation_subject.txt",
            body_template=body,
            context=context,
            kind="portal.invitation",
        )
        return membership


@transaction.atomic
def membership_remove(*, membership: Membership, removed_by: User) -> None:
    """End a person's access to a controller; the last admin cannot be removed."""
    if membership.role == Role.ADMIN:
        # Lock the controller's admin memberships so that two admins removing each other at
        # once cannot both succeed and leave the controller without an admin.
        admins = list(
            Membership.objects.select_for_update()
            .current()
            .filter(controller_id=membership.controller_id, role=Role.ADMIN)
            .values_list("pk", flat=True)
        )
        if not any(pk != membership.pk for pk in admins):
            who = "You are" if membership.user_id == removed_by.pk else "This person is"
            raise ValidationError(
                f"{who} the last admin of {membership.controller}. "
                "Invite another admin first, or ask the privacy team."
            )
    history_delete(membership, by=removed_by, reason="portal.membership.removed")
