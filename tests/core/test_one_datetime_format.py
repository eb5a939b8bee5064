"""One date-and-time format on every page: "14 Mar 2026, 23:59 CET", in the reader's zone with
the zone named (config/formats/en_GB, apps.core.legaltime.format_instant)."""

import re
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.accounts.models import User
from apps.breaches.models import BreachIncident
from apps.dsar.models import DsarTicket
from tests.conftest import SecondFactorClient

MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
ZONE = r"(?:[A-Z]{2,5}|[+-]\d{2,4})"
THE_FORMAT = re.compile(rf"\d{{1,2}} (?:{MONTHS}) \d{{4}}, \d{{2}}:\d{{2}} {ZONE}")
# Anything that reads as a date with a time of day, in whatever format.
ANY_DATETIME = re.compile(
    rf"\d{{4}}-\d{{2}}-\d{{2}}[ T]\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\.\d+)?(?: ?{ZONE})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)? (?:{MONTHS})[a-z]*\.?,? \d{{4}},?(?: at)? \d{{1,2}}:\d{{2}}"
    rf"(?::\d{{2}})?(?: ?[ap]\.?m\.?)?(?: {ZONE})?"
    rf"|(?:{MONTHS})[a-z]*\.? \d{{1,2}}, \d{{4}},? \d{{1,2}}:\d{{2}}(?: ?[ap]\.?m\.?)?(?: {ZONE})?"
)


class _Text(HTMLParser):
    """The words a reader sees: text, not attributes (machine-readable `datetime="…"`)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def seen_datetimes(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    text = re.sub(r"\s+", " ", " ".join(parser.parts))
    return ANY_DATETIME.findall(text)


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=StringIO())


def staff_pages() -> list[str]:
    ticket = DsarTicket.objects.order_by("pk").first()
    incident = BreachIncident.objects.get()
    return [
        reverse("admin:dsar_dsarticket_changelist"),
        reverse("admin:dsar_dsarticket_change", args=[ticket.pk]),
        reverse("admin:dsar_dsarticket_history", args=[ticket.pk]),
        reverse("admin:breaches_breachincident_changelist"),
        reverse("admin:breaches_breachincident_change", args=[incident.pk]),
        reverse("admin:breaches_breachincident_history", args=[incident.pk]),
        reverse("admin:processors_processingactivity_changelist"),
        reverse("admin:audit_auditgrant_changelist"),
        reverse("admin:notifications_notification_changelist"),
        reverse("admin:trail_trailentry_changelist"),
    ]


def portal_pages() -> list[str]:
    ticket = DsarTicket.objects.order_by("pk").first()
    incident = BreachIncident.objects.get()
    return [
        reverse("portal:dashboard"),
        reverse("portal:dsar_ticket_list"),
        reverse("portal:dsar_ticket_detail", kwargs={"ticket_reference": ticket.reference}),
        reverse("portal:breach_incident_list"),
        reverse("portal:breach_incident_detail", kwargs={"incident_id": incident.pk}),
        reverse("portal:member_list"),
        reverse("portal:audit_grant_list"),
        reverse("portal:account"),
    ]


def test_every_date_time_on_the_main_pages_is_in_the_one_format(demo):
    staff = SecondFactorClient()
    staff.force_login(User.objects.get(email="privacy@calljmp.example"))
    customer = SecondFactorClient()
    customer.force_login(User.objects.get(email="alex@acme-fitness.example"))
    seen, wrong = 0, {}
    for client, urls in ((staff, staff_pages()), (customer, portal_pages())):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            found = seen_datetimes(response.content.decode())
            seen += len(found)
            if bad := [text for text in found if not THE_FORMAT.fullmatch(text)]:
                wrong[url] = bad
    assert wrong == {}
    assert seen >= 20  # the pages do show date-times: the check above had something to check


def test_the_check_tells_other_formats_apart():
    html = (
        "<p>2026-03-14 23:59 CET, 14 March 2026 23:59 CET, Mar. 14, 2026, 11:59 p.m., "
        '14 Mar 2026, 23:59:07 UTC</p><time datetime="2026-03-14T23:59:00+01:00">'
        "14 Mar 2026, 23:59 CET</time>"
    )
    found = seen_datetimes(html)
    assert [t for t in found if THE_FORMAT.fullmatch(t)] == ["14 Mar 2026, 23:59 CET"]
    assert len(found) == 5
