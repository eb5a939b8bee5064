import json
import logging
from unittest import mock

from django.db import DatabaseError
from django.test import override_settings


def test_health_answers_ok_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"] == "ok"


def test_health_answers_503_when_the_database_does_not(client, db):
    broken = mock.Mock()
    broken.cursor.side_effect = DatabaseError("down")
    with mock.patch("apps.core.views.connection", broken):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_health_is_not_redirected_to_https(client, db):
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin/login/").status_code == 301


def test_every_request_is_logged_as_json_with_a_request_id(client, db, caplog):
    from apps.core.logging import JsonFormatter

    with caplog.at_level(logging.INFO, logger="requests"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"
    (record,) = [r for r in caplog.records if r.name == "requests"]
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["request_id"] == "abc123"
    assert line["duration_ms"] >= 0
