"""schemathesis against the live OpenAPI document: every operation, fed requests generated from
the document itself, answers without a 500 and within what the document promises (status
codes, media types, headers, bodies).

The document is read from /api/v1/openapi.json through the WSGI application, as a client would;
requests go through the whole stack (middleware, the token check, the rate limit). They run as a
read-and-write token of organisation A, against A's records, so reads find data and writes go
through the services. Examples are few per operation and derandomized (about a minute in all);
the PDFs are stubbed here, as WeasyPrint takes a second each (tests/api/test_endpoints.py reads
the real ones).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.api import breaches, organisations
from apps.api.api import api

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db, settings):
    # schemathesis' WSGI client names its host "localhost".
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    # Requests run inside the test's transaction, as Django's test client runs them: the end
    # of a request must not close the connection that holds it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# (path, method) of every operation, from the document as the API builds it; each is fetched
# again from the live document, through the application, in the test.
OPERATIONS = sorted(
    (path, method.upper())
    for path, operations in api.get_openapi_schema()["paths"].items()
    for method in operations
)


@pytest.fixture
def target(world_a, issued_a, settings, monkeypatch):
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    monkeypatch.setattr(organisations, "register_pdf", lambda **kwargs: b"%PDF-1.7 stub")
    monkeypatch.setattr(breaches, "breach_report_pdf", lambda **kwargs: b"%PDF-1.7 stub")
    return {**world_a, "token": issued_a.secret}


def aim(case, target) -> None:
    """Point the generated path at A's records, so reads find data and writes reach them."""
    parameters = case.path_parameters or {}
    if "organisation_id" in parameters:
        parameters["organisation_id"] = target["organisation_id"]
    if "reference" in parameters:
        breach = "/breaches/" in case.operation.path
        parameters["reference"] = target["incident_reference" if breach else "reference"]
    if "attachment_id" in parameters:
        parameters["attachment_id"] = target["attachment_id"]
    if "slug" in parameters:
        parameters["slug"] = "conflict"
    if isinstance(case.body, dict) and "change_id" in case.body:
        case.body["change_id"] = target["change_id"]


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_the_api_keeps_to_its_document(path, method, api_schema, target):
    operation = api_schema[path][method]
    statuses = set()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        aim(case, target)
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {target['token']}"}, checks=CHECKS
        )
        statuses.add(response.status_code)

    run()
    # The requests reached the operation's own code, not only the token check or a 404.
    assert statuses - {401, 404}, statuses
