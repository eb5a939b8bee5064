"""The work queue's search: a whole reference is found by equality on its unique index, an
identifier in any case by its upper-cased index, part of a reference as before."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import DsarTicketFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:dsar_dsarticket_changelist")


@pytest.fixture
def tickets():
    return [
        DsarTicketFactory(reference="DSAR-2026-0042", data_subject_identifier="Ann@Example.org"),
        DsarTicketFactory(reference="DSAR-2026-0420", data_subject_identifier="bob@example.org"),
        DsarTicketFactory(reference="DSAR-2025-S0981521", data_subject_identifier="DSAR-2026-0420"),
    ]


def found(client, term):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    references = {t.reference for t in response.context["cl"].result_list}
    searched = [q["sql"] for q in queries.captured_queries if "dsar_dsarticket" in q["sql"]]
    return references, "\n".join(searched)


def test_a_whole_reference_in_any_case_finds_its_ticket_by_equality(
    client, support_agent, tickets
):
    client.force_login(support_agent)
    references, sql = found(client, "  dsar-2026-0042 ")
    assert references == {"DSAR-2026-0042"}
    assert '"dsar_dsarticket"."reference" = ' in sql
    assert "LIKE" not in sql.upper()  # the trigram search is not run for a whole reference


def test_a_whole_reference_also_finds_a_subject_identified_by_that_text(
    client, support_agent, tickets
):
    client.force_login(support_agent)
    references, _ = found(client, "DSAR-2026-0420")
    assert references == {"DSAR-2026-0420", "DSAR-2025-S0981521"}


def test_seed_scale_references_are_whole_references_too(client, support_agent, tickets):
    client.force_login(support_agent)
    references, sql = found(client, "DSAR-2025-S0981521")
    assert references == {"DSAR-2025-S0981521"}
    assert "LIKE" not in sql.upper()


def test_part_of_a_reference_and_an_identifier_in_another_case_still_search(
    client, support_agent, tickets
):
    client.force_login(support_agent)
    assert found(client, "0042")[0] == {"DSAR-2026-0042"}
    assert found(client, "2026-04")[0] == {"DSAR-2026-0420"}
    assert found(client, "ANN@EXAMPLE.ORG")[0] == {"DSAR-2026-0042"}
    assert found(client, "nobody@example.org")[0] == set()
