"""Which controller a portal request acts for, resolved in one place.

Every portal page is wrapped in `portal_view`. It resolves the user's current memberships once
per request (`current_memberships`), picks the controller chosen in the session (or the first one),
and sets `request.controller`, `request.membership` and `request.memberships`. Views then fetch
every object through a queryset scoped to `request.controller`, so a record of another controller
is a 404 whatever its id: a 403 would confirm that it exists.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from apps.accounts.two_factor import has_confirmed_device
from apps.accounts.zones import reader_zone
from apps.controllers.models import Membership
from apps.portal.audit_gate import audit_gate

SESSION_KEY = "portal_controller_id"

Role = Membership.Role
ALL_ROLES = frozenset(Role.values)
# Roles that may change the controller's data in the portal; auditors only read.
WRITE_ROLES = Membership.WRITE_ROLES
MANAGE_ROLES = frozenset({Role.ADMIN})

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_memberships(user) -> QuerySet[Membership]:
    """The memberships that give `user` access to the portal now; an expired one gives none,
    nor one of a customer audit that has not started or was revoked."""
    if not user.is_authenticated:
        return Membership.objects.none()
    now = timezone.now()
    return (
        Membership.objects.current(now)
        .filter(user=user)
        # A customer audit's membership counts only inside the grant's window (it ends with the
        # grant's expiry; here its start and a revocation).
        .exclude(Q(audit_grant__starts_at__gt=now) | Q(audit_grant__revoked_at__isnull=False))
        .select_related("controller")
        .order_by("controller__legal_name", "pk")
    )


def resolve_membership(request: HttpRequest) -> tuple[Membership | None, list[Membership]]:
    """The membership the request acts under (the session's choice, else the first) and all."""
    memberships = list(current_memberships(request.user))
    chosen = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.controller_id == chosen:
            return membership, memberships
    return (memberships[0] if memberships else None), memberships


def choose_controller(request: HttpRequest, controller_id: int) -> Membership:
    """Remember the controller a user of several works for; 404 if not one of theirs now."""
    for membership in current_memberships(request.user):
        if membership.controller_id == controller_id:
            request.session[SESSION_KEY] = controller_id
            return membership
    raise Http404("No current membership of that controller.")


# Pages an admin reaches before the second factor its organisation requires.
TWO_FACTOR_PAGES = frozenset({"two_factor_setup"})


def _second_factor_needed(request):
    if has_confirmed_device(user=request.user):
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login_code"))
    messages.info(
        request,
        f"{request.controller} requires its portal admins to use two-factor authentication. "
        "Set it up to continue.",
    )
    return redirect("portal:two_factor_setup")


def _forbidden(request, message: str):
    return render(request, "portal/forbidden.html", {"message": message}, status=403)


def portal_view(
    view: Callable | None = None,
    *,
    roles: Iterable[str] = ALL_ROLES,
    write_roles: Iterable[str] = WRITE_ROLES,
):
    """Login required, then `request.controller` and `request.membership` resolved.

    - anonymous: redirect to the portal login;
    - no current membership: 404 (staff get a page that sends them to the admin);
    - an auditor under a customer audit grant: 404 outside the grant's window or areas
      (apps/portal/areas.py), the confidentiality terms first, every page tried logged with
      its status (apps/portal/audit_gate.py, written by apps/portal/middleware.py);
    - role not in `roles`: 403 (the page is the user's own controller's, so nothing leaks);
    - a POST (or other write) by a role not in `write_roles`: 403. By default auditors never
      write; views that change only the person's own session or password widen it.

    Use as `@portal_view` or `@portal_view(roles=MANAGE_ROLES)`.
    """
    roles = frozenset(roles)
    write_roles = frozenset(write_roles)

    def decorator(view_func):
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership, memberships = resolve_membership(request)
            if membership is None:
                if request.user.is_staff:
                    return render(request, "portal/staff_without_membership.html", status=403)
                raise Http404("No current membership.")
            request.membership = membership
            request.controller = membership.controller
            request.memberships = memberships
            # Times in the reader's zone: its own, else its organisation's (the middleware
            # could not know which organisation the request is for).
            timezone.activate(reader_zone(request.user, default=membership.controller.zone))
            # An organisation that requires two factors of its admins: no page until they have
            # signed in with a code (or set up an authenticator to do so).
            if (
                membership.role == Role.ADMIN
                and membership.controller.require_admin_two_factor
                and not request.user.is_verified()
                and getattr(request.resolver_match, "url_name", None) not in TWO_FACTOR_PAGES
            ):
                return _second_factor_needed(request)
            # Customer audits: grant window, confidentiality terms, areas, access log.
            gated = audit_gate(request, membership)
            if gated is not None:
                return gated
            if membership.role not in roles:
                return _forbidden(request, "This page is for your organisation's portal admins.")
            if request.method not in SAFE_METHODS and membership.role not in write_roles:
                return _forbidden(request, "Your access is read-only: you can view, not change.")
            return view_func(request, *args, **kwargs)

        return wrapped

    if view is not None:
        return decorator(view)
    return decorator
