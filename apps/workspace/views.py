from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from apps.workspace.charts import (
    breaches_by_risk_chart,
    dsar_months_chart,
    time_to_notify_chart,
)
from apps.workspace.selectors import BREACHES, DSAR, dashboard_figures, user_areas


def dashboard(request: HttpRequest) -> HttpResponse:
    """The admin's home: what needs doing now for this person's roles, a few charts, and the
    admin's list of areas below them."""
    user = request.user
    now = timezone.now()
    zone = timezone.get_current_timezone()
    areas = user_areas(user)
    charts = []
    if DSAR in areas and user.has_perm("dsar.view_dsarticket"):
        charts.append(dsar_months_chart(now=now, zone=zone))
    if BREACHES in areas and user.has_perm("breaches.view_breachincident"):
        charts.append(breaches_by_risk_chart(now=now, zone=zone))
        charts.append(time_to_notify_chart(now=now, zone=zone))
    site = admin.site
    context = {
        **site.each_context(request),
        "title": "What needs doing now",
        "subtitle": None,
        "figures": dashboard_figures(user=user, areas=areas, now=now, zone=zone),
        "charts": charts,
        "app_list": site.get_app_list(request),
        "zone_name": str(zone),
    }
    request.current_app = site.name
    return TemplateResponse(request, "workspace/dashboard.html", context)
