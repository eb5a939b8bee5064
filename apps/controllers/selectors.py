"""Reads about customers and their members that services of several apps share."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from apps.controllers.models import Controller, Membership


def membership_can_write(
    *, user: AbstractBaseUser | AnonymousUser | None, controller: Controller | int
) -> bool:
    """Whether `user` may change `controller`'s data now: a current membership as admin or
    member (`Membership.WRITE_ROLES`). Auditors only read; an expired membership gives nothing.

    `controller` may be the controller's id, so a caller holding only a foreign key needs no
    extra query.
    """
    if user is None or not user.is_authenticated:
        return False
    return (
        Membership.objects.current()
        .filter(user=user, controller=controller, role__in=Membership.WRITE_ROLES)
        .exists()
    )


def membership_list(*, controller: Controller) -> QuerySet[Membership]:
    """Every membership of `controller`, expired ones included so that admins see them."""
    return (
        Membership.objects.filter(controller=controller)
        .select_related("user")
        .order_by("user__email")
    )
