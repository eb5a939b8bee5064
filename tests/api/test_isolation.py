"""Every operation of the API, tried with another organisation's token and ids: 404, never data.

The operations are read from the live OpenAPI document, so one added later is tried without a
change here; a path parameter with no value of organisation A below fails the test instead of
being skipped.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.api.api import api
from apps.breaches.models import BreachNotification
from apps.dsar.models import DsarAttachment, DsarTicket, DsarTimelineEntry
from apps.subprocessors.models import Objection
from apps.trail.services import trail_seal_pending

SCHEMA = api.get_openapi_schema()
OPERATIONS = sorted(
    (path, method)
    for path, operations in SCHEMA["paths"].items()
    for method in operations
    if "{organisation_id}" in path
)
# What a response about A shows; none of it may reach B.
MARKERS_OF_A = ["Alpha Apps Ltd", "alpha-user-7", "Alpha-only", "DSAR-2000-", "owner@alpha.test"]


def fill(path: str, ids: dict) -> str:
    """The path with A's ids; which reference depends on the resource."""
    values = dict(ids)
    values["reference"] = ids["incident_reference"] if "/breaches/" in path else ids["reference"]
    for name in ("organisation_id", "reference", "attachment_id"):
        path = path.replace("{" + name + "}", str(values[name]))
    assert "{" not in path, f"give the test a value of A for {path}"
    return path


def call(client, method: str, path: str, ids: dict):
    if method == "get":
        return client.get(path)
    if path.endswith("/attachments"):
        return client.post(path, {"file": SimpleUploadedFile("a.txt", b"hello")})
    if path.endswith("/requests"):
        body = {
            "request_type": "access",
            "data_subject_identifier": "x",
            "received_at": "2026-01-02T10:00:00Z",
        }
    elif path.endswith("/replies"):
        body = {"body": "hello"}
    elif path.endswith("/objections"):
        body = {"change_id": ids["change_id"], "reason": "no"}
    else:
        body = {}
    return client.post(path, data=json.dumps(body), content_type="application/json")


def snapshot(controller):
    return (
        DsarTicket.objects.count(),
        DsarTimelineEntry.objects.count(),
        DsarAttachment.objects.count(),
        Objection.objects.filter(controller=controller).count(),
        BreachNotification.objects.filter(acknowledged_at__isnull=False).count(),
    )


def test_every_operation_is_tried():
    assert len(OPERATIONS) >= 18
    assert any(m == "post" for _, m in OPERATIONS)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_another_organisations_token_gets_404_for_its_ids(
    path, method, api_b, world_a, controller_a
):
    trail_seal_pending()
    before = snapshot(controller_a)
    response = call(api_b, method, fill(path, world_a), world_a)
    assert response.status_code == 404, (path, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    problem.pop("instance")  # the path B asked for, echoed: nothing B did not send
    content = json.dumps(problem)
    for marker in MARKERS_OF_A:
        assert marker not in content
    assert snapshot(controller_a) == before


@pytest.mark.parametrize(
    ("path", "method"),
    [(p, m) for p, m in OPERATIONS if "{reference}" in p],
    ids=[f"{m} {p}" for p, m in OPERATIONS if "{reference}" in p],
)
def test_as_organisation_b_the_records_of_a_are_404(
    path, method, api_b, world_a, controller_a, controller_b
):
    before = snapshot(controller_a)
    ids = {**world_a, "organisation_id": controller_b.pk}
    response = call(api_b, method, fill(path, ids), ids)
    assert response.status_code == 404, (path, response.content[:300])
    assert snapshot(controller_a) == before


@pytest.mark.parametrize(
    ("path", "method"),
    [(p, m) for p, m in OPERATIONS if m == "get" and "{reference}" not in p],
    ids=[p for p, m in OPERATIONS if m == "get" and "{reference}" not in p],
)
def test_organisation_bs_own_lists_show_nothing_of_a(path, method, api_b, world_a, controller_b):
    trail_seal_pending()
    ids = {**world_a, "organisation_id": controller_b.pk}
    response = call(api_b, method, fill(path, ids), ids)
    assert response.status_code == 200, (path, response.content[:300])
    content = response.content.decode(errors="replace")
    for marker in MARKERS_OF_A:
        assert marker not in content, (path, marker)


def test_the_organisation_list_shows_only_the_tokens_own(api_b, world_a):
    items = api_b.get("/api/v1/organisations").json()["items"]
    assert [o["legal_name"] for o in items] == ["Bravo Games SAS"]
