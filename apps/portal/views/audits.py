"""Customer audits in the portal.

Admins grant, list and revoke audits and read the log of what auditors opened; auditors under a
grant accept its terms first; admins and auditors (with the "history" area) read the change
history of the organisation's records and the register as it stood on a date. Every page is
wrapped in `portal_view`, whose audit gate (apps/portal/audit_gate.py) enforces the grant.
The history names no other customer: a shared activity's controllers show as this one only
(`trail_changes(visible_controller=...)`).
"""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from apps.accounts.services import client_ip
from apps.audit import selectors, services
from apps.audit.forms import AuditGrantForm
from apps.audit.models import AuditArea
from apps.controllers.models import Membership
from apps.core.dates import start_of
from apps.portal.forms.audits import AuditTermsForm, PortalRegisterAsOfForm
from apps.portal.paging import paginate
from apps.portal.tenancy import ALL_ROLES, MANAGE_ROLES, portal_view
from apps.trail import selectors as trail_selectors

Role = Membership.Role
HISTORY_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})
HISTORY_PAGE_SIZE = 50


def _areas_of(request) -> list[str]:
    """What the request may read: a grant's areas, or everything for the organisation's admins."""
    grant = getattr(request, "audit_grant", None)
    return list(grant.areas) if grant is not None else list(AuditArea.values)


# The auditor accepts the terms: a write to the grant only, so auditors may POST here.
@portal_view(write_roles=ALL_ROLES)
def audit_terms(request):
    grant = request.audit_grant
    if grant is None:
        if request.method == "POST":
            raise Http404("No audit to accept.")
        return render(request, "portal/audit/terms.html", {"grant": None})
    form = AuditTermsForm(request.POST or None)
    if request.method == "POST" and grant.terms_accepted_at is None and form.is_valid():
        services.audit_terms_accept(grant=grant, by=request.user, ip=client_ip(request=request))
        messages.success(request, "Terms accepted. The audit can start.")
        return redirect("portal:dashboard")
    return render(request, "portal/audit/terms.html", {"grant": grant, "form": form})


@portal_view(roles=MANAGE_ROLES)
def audit_grant_list(request):
    page = paginate(request, selectors.audit_grants_for(controller=request.controller))
    return render(request, "portal/audit/grant_list.html", {"page": page, "now": timezone.now()})


@portal_view(roles=MANAGE_ROLES)
def audit_grant_create(request):
    form = AuditGrantForm(request.POST or None, controller=request.controller, by=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.audit_grant_create(
                controller=request.controller, by=request.user, **form.service_kwargs()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{grant.auditor.email} can audit until {grant.expires_at:%d %B %Y}."
            )
            return redirect("portal:audit_grant_list")
    return render(request, "portal/audit/grant_form.html", {"form": form})


@portal_view(roles=MANAGE_ROLES)
def audit_grant_revoke(request, grant_id: int):
    grant = get_object_or_404(
        selectors.audit_grants_for(controller=request.controller), pk=grant_id
    )
    if request.method == "POST":
        try:
            services.audit_grant_revoke(grant=grant, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"The audit by {grant.auditor.email} has ended.")
        return redirect("portal:audit_grant_list")
    return render(request, "portal/audit/grant_revoke.html", {"grant": grant})


@portal_view(roles=MANAGE_ROLES)
def audit_access_log(request):
    page = paginate(
        request,
        selectors.audit_access_log_for(controller=request.controller),
        size=HISTORY_PAGE_SIZE,
    )
    return render(request, "portal/audit/access_log.html", {"page": page})


@portal_view(roles=HISTORY_ROLES)
def audit_history(request):
    """Keyset pages of the trail of this organisation's records, each with its field changes."""
    entries_qs = selectors.audit_trail_entries(
        controller=request.controller, areas=_areas_of(request)
    )
    before = request.GET.get("before")
    if before and trail_selectors.trail_cursor_decode(cursor=before) is None:
        before = None
    entries, next_cursor = trail_selectors.trail_page(
        entries=entries_qs, before=before, size=HISTORY_PAGE_SIZE
    )
    changes = trail_selectors.trail_changes(entries=entries, visible_controller=request.controller)
    return render(
        request,
        "portal/audit/history.html",
        {
            "rows": [(entry, changes.get(entry.pk, [])) for entry in entries],
            "next_cursor": next_cursor,
            "is_first_page": not before,
        },
    )


@portal_view(roles=HISTORY_ROLES)
def audit_register_as_of(request):
    """The register as it stood at the end of a chosen day, and what changed since."""
    form = PortalRegisterAsOfForm(request.GET or None)
    snapshot = None
    changes = {}
    areas = _areas_of(request)
    if form.is_bound and form.is_valid():
        when = start_of(form.cleaned_data["on"] + datetime.timedelta(days=1))
        snapshot = selectors.audit_register_as_of(controller=request.controller, when=when)
        allowed = selectors.audit_area_models(areas=areas)
        scope = selectors.audit_trail_entries(controller=request.controller, areas=areas)
        in_scope = set(
            scope.filter(pk__in=[e.pk for e in snapshot.changes_since]).values_list("pk", flat=True)
        )
        # The same entries again, with what each changed (trail_page finds the row before).
        kept = [
            e.pk for e in snapshot.changes_since if e.object_model in allowed and e.pk in in_scope
        ]
        snapshot.changes_since, _ = trail_selectors.trail_page(
            entries=trail_selectors.trail_entries().filter(pk__in=kept), size=max(len(kept), 1)
        )
        changes = trail_selectors.trail_changes(
            entries=snapshot.changes_since, visible_controller=request.controller
        )
    return render(
        request,
        "portal/audit/register_as_of.html",
        {
            "form": form,
            "snapshot": snapshot,
            "changes_since": [
                (entry, changes.get(entry.pk, [])) for entry in snapshot.changes_since
            ]
            if snapshot
            else [],
            "show": {area: area in areas for area in AuditArea.values},
        },
    )
