"""A record shared by several named customers shows each of them only itself.

One activity is run for Acme, Birch and Cobalt; its history names them (they are its many-to-many
`controllers`). Acme's people, and an auditor of Acme, fetch every portal page and download, the
data export and the record as a document: "Birch" and "Cobalt" appear nowhere. Staff still see
every name.
"""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditArea
from apps.breaches.services import breach_controllers_confirm, breach_notify_controllers
from apps.controllers.models import Membership
from apps.core.resources import resource_table_rows
from apps.notifications.models import Notification
from apps.offboarding.selectors import record_tables
from apps.offboarding.services import data_export_build, data_export_request
from apps.processors.documents import register_html
from apps.processors.resources import ProcessingActivityResource
from apps.trail.selectors import trail_changes, trail_entries, trail_page
from tests.factories import (
    AuditGrantFactory,
    BreachIncidentFactory,
    ControllerFactory,
    DataCategoryFactory,
    DsarTicketFactory,
    MembershipFactory,
    ObjectionFactory,
    SecurityMeasureFactory,
    StaffFactory,
    SubprocessorChangeFactory,
    SubprocessorFactory,
    TransferFactory,
)
from tests.portal.conftest import approved_activity
from tests.portal.test_isolation import PATTERNS, POST_ONLY, PUBLIC

OTHERS = ("Birch", "Cobalt")


def assert_no_other_customer(text: str, where: str):
    for name in OTHERS:
        assert name not in text, f"{name} shows in {where}"


@pytest.fixture
def shared(db, django_capture_on_commit_callbacks):
    """Acme, Birch and Cobalt; an activity run for all three, with its history; Birch's own
    records beside it."""
    # The trail may be chained once the writes commit: run what they leave for the commit.
    with django_capture_on_commit_callbacks(execute=True):
        acme = ControllerFactory(legal_name="Acme Fitness Ltd", contact_name="Ada Acme")
        birch = ControllerFactory(legal_name="Birch Health GmbH", contact_name="Bo Birch")
        cobalt = ControllerFactory(legal_name="Cobalt Games SAS", contact_name="Cy Cobalt")
        officer = StaffFactory(email="officer@processor.test")
        owner = MembershipFactory(
            controller=acme, role=Membership.Role.ADMIN, user__email="owner@acme.test"
        ).user
        MembershipFactory(controller=birch, user__email="admin@birch.test")
        sub = SubprocessorFactory(name="Edge Cloud")
        TransferFactory(subprocessor=sub)
        activity = approved_activity(
            name="Edge routing",
            covers_all_controllers=False,
            controllers=[acme, birch],
            subprocessors=[sub],
            data_categories=[DataCategoryFactory(name="IP addresses")],
            approved_by=officer,
        )
        activity.security_measures.add(SecurityMeasureFactory(name="TLS everywhere", owner=None))
        # History: Cobalt joins, then the purpose changes.
        activity.controllers.add(cobalt)
        activity.purpose = "Route end users' requests to the nearest edge"
        activity._history_user = officer
        activity.save()
        approved_activity(
            name="Birch-only analytics", covers_all_controllers=False, controllers=[birch]
        )
        # Records of Birch that are Birch's alone.
        DsarTicketFactory(controller=birch, data_subject_identifier="bea@birch-users.test")
        change = SubprocessorChangeFactory()
        ObjectionFactory(controller=birch, change=change, reason="Birch objects")
        # An incident that reaches all three: each is notified of its own.
        incident = BreachIncidentFactory(
            title="Edge logs exposed", owner=officer, affected_controllers=[acme, birch, cobalt]
        )
        breach_controllers_confirm(incident=incident, by=officer)
        breach_notify_controllers(incident=incident, by=officer)
    return {
        "acme": acme,
        "birch": birch,
        "cobalt": cobalt,
        "owner": owner,
        "activity": activity,
        "incident": incident,
    }


def test_staff_see_every_controller_of_the_shared_activity(shared):
    """The fixture names Birch and Cobalt where staff look, so the tests below can fail."""
    rows = list(
        resource_table_rows(
            resource=ProcessingActivityResource(),
            queryset=record_tables(controller=shared["acme"])["activities"][1],
        )
    )
    header, row = rows[0], rows[1]
    assert row[header.index("controllers")] == (
        "Acme Fitness Ltd; Birch Health GmbH; Cobalt Games SAS"
    )
    entries, _ = trail_page(
        entries=trail_entries(object_model="processors.processingactivity"), size=50
    )
    changes = trail_changes(entries=entries)
    named = " ".join(c.new + c.old for cs in changes.values() for c in cs)
    assert "Birch Health GmbH" in named and "Cobalt Games SAS" in named
    assert "Birch" in register_html()  # the record of every controller, staff's


def portal_urls(shared) -> list[str]:
    """Every portal page Acme's people open with a GET, objects of Acme's filled in."""
    acme = shared["acme"]
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    objects = {
        "activity_id": shared["activity"].pk,
        "controller_id": acme.pk,
        "incident_id": shared["incident"].pk,
    }
    urls = [
        reverse(f"portal:{name}", kwargs={k: objects[k] for k in kwargs})
        for name, kwargs in PATTERNS
        if name not in PUBLIC and name not in POST_ONLY and kwargs <= objects.keys()
    ]
    return [
        *urls,
        reverse("portal:audit_register_as_of") + f"?on={yesterday}",
        reverse("portal:audit_register_as_of") + f"?on={timezone.localdate().isoformat()}",
        reverse("public:subprocessor_list"),
        reverse("public:subprocessor_json"),
        reverse("public:subprocessor_feed"),
    ]


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("who", ["owner", "auditor"])
def test_acme_sees_no_other_customer_anywhere(who, client, shared):
    if who == "owner":
        user = shared["owner"]
    else:
        user = AuditGrantFactory(controller=shared["acme"], areas=list(AuditArea.values)).auditor
    client.force_login(user)
    seen = []
    for url in portal_urls(shared):
        response = client.get(url)
        # Acme's admin opens every page; the auditor is refused the organisation's own ones.
        assert response.status_code in ((200,) if who == "owner" else (200, 403, 404)), url
        if response["Content-Type"] == "application/pdf":
            continue  # the document's text is checked through its HTML below
        text = body(response)
        assert_no_other_customer(text, url)
        seen.append(text)
    everything = "\n".join(seen)
    # What Acme does see of the shared activity, itself included.
    assert "Edge routing" in everything
    assert "nearest edge" in everything
    assert "Acme Fitness Ltd" in everything
    assert "Edge logs exposed" in everything


def test_the_activities_csv_names_only_acme(client, shared):
    client.force_login(shared["owner"])
    url = reverse("portal:record_activities_csv", kwargs={"controller_id": shared["acme"].pk})
    rows = list(csv.DictReader(io.StringIO(body(client.get(url)))))
    assert [(r["name"], r["controllers"]) for r in rows] == [("Edge routing", "Acme Fitness Ltd")]


def test_the_history_shows_acme_only_among_the_activitys_controllers(client, shared):
    client.force_login(shared["owner"])
    response = client.get(reverse("portal:audit_history"))
    changes = [c for _, cs in response.context["rows"] for c in cs]
    controller_changes = [(c.old, c.new) for c in changes if c.field == "Controllers"]
    # Created with Acme (and Birch); Cobalt joining changed nothing Acme may see.
    assert controller_changes == [("—", "Acme Fitness Ltd")]
    assert_no_other_customer(response.content.decode(), "the history")


def test_the_record_as_a_document_names_only_acme(shared):
    html = register_html(controller=shared["acme"])
    assert "Edge routing" in html and "Acme Fitness Ltd" in html
    assert_no_other_customer(html, "the record's HTML")


def test_the_data_export_names_only_acme(client, shared):
    export = data_export_request(controller=shared["acme"], by=shared["owner"])
    data_export_build(export=export)
    client.force_login(shared["owner"])
    response = client.get(reverse("portal:data_export_download", kwargs={"export_id": export.pk}))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = archive.namelist()
        assert "record_of_processing/activities.csv" in names
        for name in names:
            if name.endswith(".pdf"):
                continue  # the same document as register_html, above
            assert_no_other_customer(archive.read(name).decode(), name)
        activities = archive.read("record_of_processing/activities.csv").decode()
    assert "Acme Fitness Ltd" in activities and "Edge routing" in activities


def test_the_emails_to_acme_name_no_other_customer(shared):
    acme = shared["acme"]
    addresses = {acme.contact_email, acme.dpo_email, shared["owner"].email}
    messages = list(Notification.objects.filter(recipient__in=addresses))
    assert messages, "the incident's notice reaches Acme's contacts"
    for message in messages:
        assert_no_other_customer(f"{message.subject}\n{message.body}", message.kind)
