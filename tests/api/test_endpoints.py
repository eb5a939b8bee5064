"""Breach notices, subprocessors and objections, the record and its history, through the API."""

import json

from django.utils import timezone

from apps.api import organisations
from apps.breaches.models import BreachNotification
from apps.breaches.services import (
    breach_controllers_confirm,
    breach_notify_controllers,
    breach_update_add,
    breach_update_send,
)
from apps.subprocessors.models import Objection
from apps.trail.models import Door, TrailEntry
from apps.trail.services import trail_seal_pending
from tests.api.conftest import ApiClient, make_token
from tests.api.test_auth import assert_problem
from tests.factories import (
    BreachIncidentFactory,
    ObjectionFactory,
    StaffFactory,
    SubprocessorChangeFactory,
)


def org(controller, *parts):
    return "/".join([f"/api/v1/organisations/{controller.pk}", *map(str, parts)])


def test_breach_notices_are_listed_read_and_acknowledged(api_a, controller_a, admin_a, world_a):
    incident = world_a["incident"]
    update = breach_update_add(incident=incident, text="Keys rotated.", by=incident.owner)
    breach_update_send(update=update, by=incident.owner)
    listed = api_a.get(org(controller_a, "breaches")).json()["items"]
    assert [b["reference"] for b in listed] == [incident.reference]
    assert listed[0]["notified_at"] and listed[0]["acknowledged_at"] is None
    detail = api_a.get(listed[0]["url"]).json()
    assert detail["title"] == "Alpha-only incident"
    assert detail["updates"] == [
        {"phase": 1, "text": "Keys rotated.", "sent_at": detail["updates"][0]["sent_at"]}
    ]
    assert detail["your_deadline_at"]
    acknowledged = api_a.post(org(controller_a, "breaches", incident.reference, "acknowledge"))
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_by"] == admin_a.email
    notice = BreachNotification.objects.get(incident=incident, controller=controller_a)
    assert notice.acknowledged_by == admin_a
    again = api_a.post(org(controller_a, "breaches", incident.reference, "acknowledge"))
    assert "Already acknowledged" in assert_problem(again, 409)["detail"]


def test_the_breach_report_is_a_pdf(api_a, controller_a, world_a):
    response = api_a.get(org(controller_a, "breaches", world_a["incident_reference"], "report.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_only_notified_incidents_are_reachable(api_a, controller_a, controller_b, db):
    staff = StaffFactory()
    other = BreachIncidentFactory(owner=staff, affected_controllers=[controller_b])
    breach_controllers_confirm(incident=other, by=staff)
    breach_notify_controllers(incident=other, by=staff)
    assert_problem(api_a.get(org(controller_a, "breaches", other.reference)), 404)
    assert api_a.get(org(controller_a, "breaches")).json()["items"] == []


def test_subprocessors_come_with_their_transfers(api_a, controller_a, world_a):
    items = api_a.get(org(controller_a, "subprocessors")).json()["items"]
    with_transfers = [s for s in items if s["transfers"]]
    assert with_transfers and with_transfers[0]["transfers"][0]["destination_country"] == "US"


def test_changes_show_the_organisations_own_objection_only(
    api_a, api_b, controller_a, controller_b, world_a
):
    mine = api_a.get(org(controller_a, "subprocessor-changes")).json()["items"]
    assert mine[0]["objection"]["reason"] == "Alpha-only reason"
    theirs = api_b.get(org(controller_b, "subprocessor-changes")).json()["items"]
    assert theirs[0]["id"] == mine[0]["id"] and theirs[0]["objection"] is None


def test_an_objection_is_raised_once_through_the_service(api_a, controller_a):
    change = SubprocessorChangeFactory()
    payload = json.dumps({"change_id": change.pk, "reason": "Data must stay in the EU."})
    first = api_a.post(
        org(controller_a, "objections"), data=payload, content_type="application/json"
    )
    assert first.status_code == 201 and first.json()["status"] == "open"
    assert Objection.objects.get(change=change).controller == controller_a
    again = api_a.post(
        org(controller_a, "objections"), data=payload, content_type="application/json"
    )
    assert "already objected" in assert_problem(again, 409)["detail"]
    listed = api_a.get(org(controller_a, "objections")).json()["items"]
    assert [o["change_id"] for o in listed] == [change.pk]


def test_an_upheld_objection_shows_its_consequence(api_a, controller_a):
    change = SubprocessorChangeFactory()
    ObjectionFactory(
        controller=controller_a,
        change=change,
        status=Objection.Status.UPHELD,
        consequence=Objection.Consequence.NOT_USED,
        resolved_at=timezone.now(),
    )
    [listed] = api_a.get(org(controller_a, "objections")).json()["items"]
    assert (listed["status"], listed["consequence"], listed["termination_on"]) == (
        "upheld",
        "not_used",
        None,
    )


def test_an_objection_to_an_unknown_change_is_404(api_a, controller_a):
    payload = json.dumps({"change_id": 999999, "reason": "No."})
    response = api_a.post(
        org(controller_a, "objections"), data=payload, content_type="application/json"
    )
    assert_problem(response, 404)


def test_the_record_as_json_names_only_this_organisation(
    api_a, controller_a, controller_b, world_a
):
    record = api_a.get(org(controller_a, "record")).json()
    assert record["organisation"]["name"] == "Alpha Apps Ltd"
    assert "Alpha-only activity" in [a["name"] for a in record["activities"]]
    assert record["transfers"] and record["subprocessors"]
    assert "Bravo" not in json.dumps(record)


def test_the_record_as_the_pdf(api_a, controller_a):
    response = api_a.get(org(controller_a, "record.pdf"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "record-of-processing-alpha-apps-ltd" in response["Content-Disposition"]


def test_the_history_pages_through_the_organisations_trail(api_a, controller_a, world_a):
    trail_seal_pending()
    page = api_a.get(org(controller_a, "history")).json()
    assert page["items"]
    references = {i["record"] for i in page["items"]}
    assert world_a["reference"] in references
    assert all(set(i) >= {"at", "by", "door", "changes"} for i in page["items"])


def test_writes_through_the_api_are_in_the_history_with_the_api_door(api_a, controller_a):
    change = SubprocessorChangeFactory()
    api_a.post(
        org(controller_a, "objections"),
        data=json.dumps({"change_id": change.pk, "reason": "No."}),
        content_type="application/json",
    )
    trail_seal_pending()
    entry = TrailEntry.objects.get(object_model="subprocessors.objection")
    assert entry.door == Door.API
    items = api_a.get(org(controller_a, "history")).json()["items"]
    assert any(i["model"] == "subprocessors.objection" and i["door"] == "api" for i in items)


def test_problem_types_are_described(anonymous_api, db):
    response = anonymous_api.get("/api/v1/problems/conflict")
    assert response.status_code == 200 and response.json()["status"] == 409
    assert_problem(anonymous_api.get("/api/v1/problems/nonsense"), 404)


def test_an_unknown_url_or_method_is_a_problem(api_a, controller_a):
    assert_problem(api_a.get("/api/v1/nothing/here"), 404)
    response = api_a.delete(org(controller_a, "requests"))
    assert_problem(response, 405)
    assert "GET" in response["Allow"]


def test_an_unexpected_error_is_a_problem_and_changes_nothing(api_a, controller_a, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(organisations, "record_of_processing", broken)
    response = api_a.get(org(controller_a, "record"))
    body = assert_problem(response, 500)
    assert "boom" not in json.dumps(body)


def test_a_read_token_of_the_organisation_reads_everything_listed(controller_a, admin_a, world_a):
    reader = ApiClient(make_token(controller=controller_a, by=admin_a, scope="read").secret)
    for path in ("requests", "breaches", "subprocessors", "subprocessor-changes", "objections"):
        assert reader.get(org(controller_a, path)).status_code == 200, path
