"""Data-subject requests through the API: the same services, rules and history as the portal."""

import json
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.accounts.roles import SUPPORT_AGENT
from apps.dsar.models import DsarAttachment, DsarTicket, DsarTimelineEntry
from apps.dsar.services import dsar_reply_add, dsar_ticket_transition
from apps.notifications.models import Notification
from apps.trail.models import Door, TrailEntry
from apps.trail.services import trail_seal_pending
from tests.api.conftest import ApiClient, make_token
from tests.api.test_auth import assert_problem
from tests.factories import DsarTicketFactory, StaffFactory


def url(controller, *parts):
    return "/".join([f"/api/v1/organisations/{controller.pk}/requests", *map(str, parts)])


def body(**overrides):
    data = {
        "request_type": "erasure",
        "data_subject_identifier": "user-42",
        "received_at": (timezone.now() - timedelta(days=2)).replace(microsecond=0).isoformat(),
        "details": "Delete the account.",
    }
    data.update(overrides)
    return data


def post(client, path, data, **extra):
    return client.post(path, data=json.dumps(data), content_type="application/json", **extra)


def test_a_request_is_submitted_through_the_service_with_the_api_door(api_a, controller_a, admin_a):
    StaffFactory(role=SUPPORT_AGENT)
    response = post(api_a, url(controller_a), body())
    assert response.status_code == 201
    created = response.json()
    ticket = DsarTicket.objects.get(reference=created["reference"])
    assert ticket.controller == controller_a and ticket.submitted_by == admin_a
    assert created["status"] == "new" and created["data_subject_identifier"] == "user-42"
    assert created["url"].endswith(f"/requests/{ticket.reference}")
    # Staff are told, as for a request from the portal.
    assert Notification.objects.filter(kind="dsar.submitted", related_id=str(ticket.pk)).exists()
    trail_seal_pending()
    entry = TrailEntry.objects.get(object_model="dsar.dsarticket", object_id=str(ticket.pk))
    assert entry.door == Door.API and entry.user_id == admin_a.pk
    assert entry.change_reason == "dsar.ticket.submitted"


def test_a_retry_with_the_same_idempotency_key_makes_one_ticket(api_a, controller_a):
    # The same request sent twice (one body: its time of receipt is read once).
    request = body()
    first = post(api_a, url(controller_a), request, HTTP_IDEMPOTENCY_KEY="hd-1234")
    again = post(api_a, url(controller_a), request, HTTP_IDEMPOTENCY_KEY="hd-1234")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reference"] == again.json()["reference"]
    assert DsarTicket.objects.count() == 1
    other = post(api_a, url(controller_a), body(), HTTP_IDEMPOTENCY_KEY="hd-5678")
    assert other.status_code == 201
    assert DsarTicket.objects.count() == 2


def test_the_same_key_with_other_content_is_a_conflict(api_a, controller_a):
    request = body()
    post(api_a, url(controller_a), request, HTTP_IDEMPOTENCY_KEY="hd-1")
    response = post(
        api_a, url(controller_a), {**request, "request_type": "access"}, HTTP_IDEMPOTENCY_KEY="hd-1"
    )
    assert "Idempotency-Key" in assert_problem(response, 409)["detail"]
    assert DsarTicket.objects.count() == 1


def test_keys_of_one_organisation_do_not_collide_with_anothers(
    api_a, api_b, controller_a, controller_b
):
    assert post(api_a, url(controller_a), body(), HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert post(api_b, url(controller_b), body(), HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert DsarTicket.objects.count() == 2


def test_invalid_input_is_a_problem_with_a_pointer_per_field(api_a, controller_a):
    response = post(
        api_a,
        url(controller_a),
        body(request_type="gossip", received_at="2026-13-40", data_subject_identifier=""),
    )
    problem = assert_problem(response, 422)
    pointers = {e["pointer"] for e in problem["errors"]}
    assert pointers == {"#/request_type", "#/received_at", "#/data_subject_identifier"}
    assert not DsarTicket.objects.exists()


def test_a_future_receipt_is_refused_by_the_service(api_a, controller_a):
    future = (timezone.now() + timedelta(days=1)).isoformat()
    problem = assert_problem(post(api_a, url(controller_a), body(received_at=future)), 422)
    assert problem["errors"] == [
        {"detail": "The date of receipt cannot be in the future.", "pointer": "#/received_at"}
    ]


def test_a_naive_date_and_a_nul_character_are_refused(api_a, controller_a):
    naive = post(api_a, url(controller_a), body(received_at="2026-01-01T10:00:00"))
    assert "time zone" in assert_problem(naive, 422)["errors"][0]["detail"]
    nul = post(api_a, url(controller_a), body(details="a\x00b"))
    assert assert_problem(nul, 422)["errors"][0]["pointer"] == "#/details"


def test_a_malformed_body_is_a_problem(api_a, controller_a):
    response = api_a.post(url(controller_a), data="{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"


def test_the_list_filters_by_status_and_type_and_pages_by_cursor(api_a, controller_a):
    for i in range(5):
        DsarTicketFactory(
            controller=controller_a,
            request_type="access" if i % 2 else "erasure",
            submitted_at=timezone.now() - timedelta(hours=i),
        )
    closed = DsarTicketFactory(controller=controller_a, status="withdrawn", request_type="erasure")
    everything = api_a.get(url(controller_a), {"limit": 2})
    page = everything.json()
    assert len(page["items"]) == 2 and page["next"]
    seen = [t["reference"] for t in page["items"]]
    while page["next"]:
        page = api_a.get(page["next"]).json()
        seen += [t["reference"] for t in page["items"]]
    assert len(seen) == len(set(seen)) == 6
    open_ones = api_a.get(url(controller_a), {"status": "open"}).json()["items"]
    assert closed.reference not in {t["reference"] for t in open_ones} and len(open_ones) == 5
    assert [
        t["reference"] for t in api_a.get(url(controller_a), {"status": "closed"}).json()["items"]
    ] == [closed.reference]
    access = api_a.get(url(controller_a), {"request_type": "access"}).json()["items"]
    assert {t["request_type"] for t in access} == {"access"} and len(access) == 2


def test_a_made_up_cursor_is_refused_not_a_500(api_a, controller_a):
    response = api_a.get(url(controller_a), {"cursor": "eyJoZWxsbyI6MX0:abc"})
    assert assert_problem(response, 422)["errors"][0]["parameter"] == "cursor"


def test_the_timeline_shows_what_the_customer_sees_never_internal_notes(api_a, controller_a):
    staff = StaffFactory()
    ticket = DsarTicketFactory(controller=controller_a)
    dsar_reply_add(ticket=ticket, author=staff, body="Internal only", visible_to_customer=False)
    dsar_reply_add(ticket=ticket, author=staff, body="Visible reply", visible_to_customer=True)
    dsar_ticket_transition(ticket=ticket, to="in_progress", by=staff)
    items = api_a.get(url(controller_a, ticket.reference, "timeline")).json()["items"]
    assert [(i["kind"], i["author"]) for i in items] == [
        ("reply", "processor"),
        ("status", "processor"),
    ]
    assert "Internal only" not in json.dumps(items)
    replies = api_a.get(url(controller_a, ticket.reference, "timeline"), {"kind": "reply"})
    assert [i["body"] for i in replies.json()["items"]] == ["Visible reply"]


def test_a_reply_is_added_through_the_service_and_staff_are_told(api_a, controller_a, admin_a):
    ticket = DsarTicketFactory(controller=controller_a)
    response = post(api_a, url(controller_a, ticket.reference, "replies"), {"body": "Any news?"})
    assert response.status_code == 201
    assert response.json()["author"] == "customer"
    entry = DsarTimelineEntry.objects.get(ticket=ticket)
    assert entry.author == admin_a and entry.visible_to_customer
    assert Notification.objects.filter(kind="dsar.customer_reply").exists()


def test_a_closed_request_takes_no_reply(api_a, controller_a):
    ticket = DsarTicketFactory(controller=controller_a, status="withdrawn")
    response = post(api_a, url(controller_a, ticket.reference, "replies"), {"body": "Hello"})
    assert "closed" in assert_problem(response, 409)["detail"]
    assert not DsarTimelineEntry.objects.exists()


def test_files_are_uploaded_listed_and_downloaded(api_a, controller_a):
    ticket = DsarTicketFactory(controller=controller_a)
    upload = SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof", content_type="application/pdf")
    response = api_a.post(url(controller_a, ticket.reference, "attachments"), {"file": upload})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "proof.pdf" and created["content_type"] == "application/pdf"
    attachment = DsarAttachment.objects.get(pk=created["id"])
    assert attachment.visible_to_customer and attachment.ticket == ticket
    listed = api_a.get(url(controller_a, ticket.reference, "attachments")).json()["items"]
    assert [a["id"] for a in listed] == [attachment.pk]
    download = api_a.get(created["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 proof"
    assert download["Content-Disposition"].startswith("attachment")


def test_a_file_that_is_not_what_it_says_is_refused(api_a, controller_a):
    ticket = DsarTicketFactory(controller=controller_a)
    upload = SimpleUploadedFile("proof.pdf", b"MZ not a pdf")
    response = api_a.post(url(controller_a, ticket.reference, "attachments"), {"file": upload})
    assert assert_problem(response, 422)["errors"][0]["pointer"] == "#/file"
    assert not DsarAttachment.objects.exists()


def test_an_internal_file_is_as_absent_as_a_missing_one(api_a, controller_a):
    ticket = DsarTicketFactory(controller=controller_a)
    hidden = DsarAttachment.objects.create(
        ticket=ticket,
        file=SimpleUploadedFile("note.txt", b"internal"),
        original_name="note.txt",
        content_type="text/plain",
        size=8,
        visible_to_customer=False,
    )
    assert_problem(api_a.get(url(controller_a, ticket.reference, "attachments", hidden.pk)), 404)
    assert api_a.get(url(controller_a, ticket.reference, "attachments")).json()["items"] == []


def test_a_staff_reply_through_the_api_is_told_to_the_customer(controller_a):
    agent = StaffFactory(role=SUPPORT_AGENT)
    client = ApiClient(make_token(by=agent).secret)
    ticket = DsarTicketFactory(controller=controller_a)
    response = post(client, url(controller_a, ticket.reference, "replies"), {"body": "Done."})
    assert response.status_code == 201 and response.json()["author"] == "processor"
    assert Notification.objects.filter(kind="dsar.reply").exists()
