"""The whole trail's page reads its history rows, their many-to-many rows and the names they
point to in a fixed number of queries, however many models the page holds.

The one-query reads are PostgreSQL's (`to_jsonb`, `DISTINCT ON`); the demo falls back to one
query per model on SQLite, so the counts here are asserted on PostgreSQL only.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.controllers.models import Controller
from apps.core.history import (
    history_models,
    history_rows_by_model,
    m2m_fields,
    m2m_rows_by_model,
    m2m_rows_for,
)
from apps.trail.models import TrailEntry
from apps.trail.selectors import trail_changes, trail_entries, trail_names, trail_page
from apps.trail.services import trail_seal_pending
from tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="one-query reads use PostgreSQL's to_jsonb"
)


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=StringIO())
    trail_seal_pending()


@pytest.fixture
def superuser_client(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root@example.test", "pw-long-enough")
    client.force_login(superuser)
    return client


def _wanted(limit=25):
    wanted = {}
    for model in history_models():
        ids = list(model._default_manager.order_by("-pk").values_list("pk", flat=True)[:limit])
        if ids:
            wanted[model] = ids
    return wanted


def test_every_history_model_reads_the_same_in_one_query_as_one_query_per_model(demo):
    wanted = _wanted()
    assert len(wanted) >= 20  # the demo writes most models: the comparison covers them
    with CaptureQueriesContext(connection) as queries:
        together = history_rows_by_model(wanted)
    assert len(queries) == 1
    compared = 0
    for model, ids in wanted.items():
        alone = model._default_manager.in_bulk(ids)
        assert set(together[model]) == set(alone), model._meta.label
        for pk, row in alone.items():
            other = together[model][pk]
            for field in model._meta.concrete_fields:
                assert field.value_from_object(other) == field.value_from_object(row), (
                    f"{model._meta.label}.{field.name} of history row {pk}"
                )
                compared += 1
    assert compared > 1000


def test_every_many_to_many_history_reads_the_same_in_one_query(demo):
    wanted = {model: ids for model, ids in _wanted(50).items() if m2m_fields(model)}
    assert len(wanted) >= 2
    with CaptureQueriesContext(connection) as queries:
        together = m2m_rows_by_model(wanted)
    assert len(queries) == 1
    rows_seen = 0
    for model, ids in wanted.items():
        alone = m2m_rows_for(model, ids)
        assert together[model] == alone, model._meta.label
        rows_seen += sum(len(rows) for fields in alone.values() for rows in fields.values())
    assert rows_seen > 0


def test_names_come_from_each_objects_newest_trail_entry_in_one_query(db):
    renamed = factories.ControllerFactory(legal_name="Old Name Ltd")
    renamed.legal_name = "New Name Ltd"
    renamed.save()
    gone = factories.ControllerFactory(legal_name="Gone Ltd")
    gone_pk = gone.pk
    gone.delete()
    user = factories.UserFactory(full_name="Named Person")
    trail_seal_pending()
    with CaptureQueriesContext(connection) as queries:
        names = trail_names({Controller: {renamed.pk, gone_pk, 999_999}, type(user): {user.pk}})
    assert len(queries) == 1
    assert names[(Controller, renamed.pk)] == "New Name Ltd"
    assert names[(Controller, gone_pk)] == f"#{gone_pk} (deleted)"
    assert names[(type(user), user.pk)] == str(user)
    assert (Controller, 999_999) not in names  # never in the trail: left to the caller


def test_the_whole_trail_page_costs_the_same_with_one_model_or_many(
    demo, superuser_client, django_assert_num_queries
):
    url = reverse("admin:trail_trailentry_changelist")
    superuser_client.get(url)
    page, _ = trail_page(entries=trail_entries())
    models_on_page = {entry.history_model for entry in page}
    assert len(models_on_page) >= 5
    # 1 session, 2 user, 3 the page of entries, 4 the history rows of every model on the page,
    # 5 their many-to-many rows, 6 every related object's name from the trail (content types
    # from the per-process cache); no transaction for a page that only reads. One history model
    # alone costs the same (tests/core/test_change_page_queries.py).
    with django_assert_num_queries(6):
        response = superuser_client.get(url)
    assert response.status_code == 200


def test_the_trail_page_names_related_objects_as_the_objects_do(demo):
    entries, _ = trail_page(entries=trail_entries(object_model="controllers.membership"))
    assert entries
    changes = trail_changes(entries=entries)
    named = [
        change.new
        for entry in entries
        for change in changes[entry.pk]
        if change.field in ("User", "Controller")
    ]
    assert named
    expected = {str(c) for c in Controller.objects.all()} | {
        str(u) for u in factories.UserFactory._meta.model.objects.all()
    }
    assert set(named) <= expected | {"—"}
    assert TrailEntry.objects.count() > len(entries)
