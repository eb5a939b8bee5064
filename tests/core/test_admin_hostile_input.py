"""Hostile input into the main admin forms: no 500, nothing half-saved, nothing unescaped.

Each add page and each change page below is opened as the role that works it; the fields are
read from the rendered form (inline rows and their management form included), and hypothesis
replaces some of them with hostile text, dates, numbers and files (tests/fuzz/strategies.py).
A change page starts from a stored object, so many examples save: the object written must then
pass full_clean(). A refused form (a 200 showing the errors) writes no row anywhere, history
tables included. Each example runs in a savepoint rolled back afterwards (tests/fuzz/checks.py).
"""

import re

import pytest
from django.urls import resolve, reverse
from hypothesis import given

from apps.subprocessors.models import Subprocessor
from tests import factories
from tests.fuzz.checks import (
    FUZZ_SETTINGS,
    check_outcome,
    rolled_back,
    snapshot,
    timed_post,
)
from tests.fuzz.forms import post_forms
from tests.fuzz.strategies import form_data

MAX_FILE_BYTES = 1024


def _subprocessor_with_transfer():
    transfer = factories.TransferFactory()
    return transfer.subprocessor


def _controller_with_member():
    return factories.MembershipFactory().controller


# admin URL prefix → (role fixture, how to make an object for its change page, or None when
# the change page is not a form: an announced change is cancelled, never edited).
ADMIN_FORMS = {
    "controllers_controller": ("officer", _controller_with_member),
    "subprocessors_subprocessor": ("officer", _subprocessor_with_transfer),
    "processors_processingactivity": ("officer", factories.ProcessingActivityFactory),
    "processors_securitymeasure": ("security_lead", factories.SecurityMeasureFactory),
    "subprocessors_subprocessorchange": ("officer", None),
    "subprocessors_objection": ("officer", factories.ObjectionFactory),
    "dsar_dsarticket": ("support_agent", factories.DsarTicketFactory),
    "breaches_breachincident": ("security_lead", factories.BreachIncidentFactory),
    "audit_auditgrant": ("officer", None),
}
PAGES = [(name, "add") for name in ADMIN_FORMS] + [
    (name, "change") for name, (_, make) in ADMIN_FORMS.items() if make is not None
]

# A refused admin form writes nothing at all.
ALLOWED_ON_REFUSAL = frozenset()


@pytest.mark.parametrize(("name", "page"), PAGES, ids=[f"{n}-{p}" for n, p in PAGES])
def test_admin_form_survives_hostile_input(name, page, request, client, settings, db):
    settings.DSAR_ATTACHMENT_MAX_BYTES = MAX_FILE_BYTES
    role, make = ADMIN_FORMS[name]
    client.force_login(request.getfixturevalue(role))
    # Something to choose in the selects: a controller, a proposed subprocessor, categories.
    factories.ControllerFactory()
    factories.SubprocessorFactory(status=Subprocessor.Status.PROPOSED, engaged_on=None)
    factories.DataCategoryFactory()
    factories.SecurityMeasureFactory()
    if page == "add":
        url = reverse(f"admin:{name}_add")
    else:
        url = reverse(f"admin:{name}_change", args=[make().pk])
    response = client.get(url)
    assert response.status_code == 200
    view_name = resolve(url).view_name
    forms = [f for f in post_forms(response, url) if f.url_name == view_name]
    assert forms, f"no form posting to {view_name}"
    form = forms[0]

    @FUZZ_SETTINGS
    @given(data=form_data(form, max_file_bytes=MAX_FILE_BYTES))
    def post_hostile(data):
        with rolled_back():
            before = snapshot()
            response = timed_post(client, url, data)
            check_outcome(
                response, before=before, posted=data, allowed_on_refusal=ALLOWED_ON_REFUSAL
            )

    post_hostile()


def test_a_flood_of_inline_rows_is_refused_at_once(officer_client):
    """150 new transfer rows of 10,000-character text: refused, quickly, with nothing saved."""
    subprocessor = _subprocessor_with_transfer()
    url = reverse("admin:subprocessors_subprocessor_change", args=[subprocessor.pk])
    form = next(f for f in post_forms(officer_client.get(url), url) if f.url_name)
    data = form.baseline()
    rows = 150
    for i in range(1, rows + 1):
        data[f"transfers-{i}-destination_country"] = "DE"
        data[f"transfers-{i}-mechanism"] = "scc"
        data[f"transfers-{i}-document_reference"] = "x" * 10_000
    data["transfers-TOTAL_FORMS"] = str(rows + 1)
    before = snapshot()
    response = timed_post(officer_client, url, data)
    assert response.status_code == 200
    assert "Please submit at most 11 forms." in response.content.decode()
    assert snapshot() == before


def test_a_management_form_asking_for_many_rows_draws_at_most_ten_new_ones(officer_client):
    """Only the row count, no rows: the refused page draws the one saved transfer and at most
    ten empty ones, each with its list of countries, not as many as were asked for."""
    subprocessor = _subprocessor_with_transfer()
    url = reverse("admin:subprocessors_subprocessor_change", args=[subprocessor.pk])
    response = timed_post(officer_client, url, {"transfers-TOTAL_FORMS": "100000"})
    assert response.status_code == 200
    content = response.content.decode()
    drawn = {int(n) for n in re.findall(r'name="transfers-(\d+)-destination_country"', content)}
    assert drawn and max(drawn) <= 10
