"""The pieces of an erasure: what counts as a copy of an identifier, the keyed hash that proves
an erasure, the page where staff check an identifier against it, and erasing tickets whose
unique fields held the identifier."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.dsar.erasure import Redactor, erasure_proof, erasure_proof_matches
from apps.dsar.models import SCRUBBED
from apps.dsar.services import dsar_subject_scrub
from tests.factories import ControllerFactory, DsarTicketFactory, MembershipFactory

pytestmark = pytest.mark.django_db

IDENTIFIER = "Jane.Roe+1@example.org"


def check_url(ticket) -> str:
    return reverse("admin:dsar_dsarticket_erasure_check", args=[ticket.pk])


def test_every_written_form_of_an_identifier_is_erased_and_nothing_else():
    redactor = Redactor([IDENTIFIER])
    text = (
        "Mail JANE.ROE+1@EXAMPLE.ORG, see /q?u=jane.roe%2B1%40example.org and "
        "jane.roe_1_example.org.pdf; jane.roe@example.org is someone else."
    )
    assert redactor.json(text) == (
        "Mail [erased], see /q?u=[erased] and [erased].pdf; jane.roe@example.org is someone else."
    )
    assert redactor.json({"to": [IDENTIFIER], "n": 3}) == {"to": ["[erased]"], "n": 3}


def test_a_short_identifier_is_erased_where_it_stands_alone_and_skipped_in_the_logs():
    assert Redactor(["42"]).json("user 42 asked on DSAR-2026-0042.") == (
        "user [erased] asked on DSAR-2026-0042."
    )
    assert not Redactor(["42"], min_length=6)


def test_the_proof_matches_the_identifier_in_any_case_and_after_the_key_is_rotated(settings):
    proof = erasure_proof(IDENTIFIER)
    assert proof.startswith(f"{settings.AUDIT_CHAIN_KEY_ID}:") and IDENTIFIER not in proof
    assert erasure_proof_matches(proof=proof, identifier=f"  {IDENTIFIER.lower()} ")
    assert not erasure_proof_matches(proof=proof, identifier="jane.roe@example.org")
    assert not erasure_proof_matches(proof=proof, identifier="")
    settings.AUDIT_CHAIN_KEYS = {**settings.AUDIT_CHAIN_KEYS, "k9": "a-newer-chain-key-" + "z" * 30}
    settings.AUDIT_CHAIN_KEY_ID = "k9"
    assert erasure_proof(IDENTIFIER) != proof
    assert erasure_proof_matches(proof=proof, identifier=IDENTIFIER)
    settings.AUDIT_CHAIN_KEYS = {"k9": settings.AUDIT_CHAIN_KEYS["k9"]}
    # A key dropped altogether checks nothing.
    assert not erasure_proof_matches(proof=proof, identifier=IDENTIFIER)


def test_the_check_page_answers_staff_and_refuses_everyone_else(client, staff_auditor):
    erased = DsarTicketFactory(
        data_subject_identifier=SCRUBBED, erased_identifier_hash=erasure_proof(IDENTIFIER)
    )
    kept = DsarTicketFactory()
    customer = MembershipFactory(controller=erased.controller).user
    client.force_login(customer)
    response = client.post(check_url(erased), {"identifier": IDENTIFIER})
    assert response.status_code == 302 and "login" in response["Location"]

    client.force_login(staff_auditor)  # reads tickets, changes none: checking is a read
    page = client.get(reverse("admin:dsar_dsarticket_change", args=[erased.pk])).content.decode()
    assert "Identifier erased; keyed hash" in page and check_url(erased) in page
    response = client.post(check_url(erased), {"identifier": IDENTIFIER.upper()})
    assert "The identifier you typed matches the erased identifier." in response.content.decode()
    response = client.post(check_url(erased), {"identifier": "x" * 10_000})
    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.content.decode()
    assert client.get(check_url(kept)).status_code == 404
    assert client.get(check_url(type(kept)(pk=10**9))).status_code == 404


def test_erasing_two_tickets_whose_unique_tokens_held_the_identifier(support_agent):
    controller = ControllerFactory()
    tickets = []
    # Unique per controller as typed; the same once the identifier is erased from both.
    for token in (IDENTIFIER, IDENTIFIER.upper()):
        ticket = DsarTicketFactory(
            controller=controller,
            request_type="erasure",
            data_subject_identifier=IDENTIFIER,
            submission_token=token,
        )
        ticket.status, ticket.closed_at = "completed", timezone.now()
        ticket.save()
        tickets.append(ticket)
    for ticket in tickets:
        dsar_subject_scrub(ticket=ticket, by=support_agent)
        ticket.refresh_from_db()
    tokens = [t.submission_token for t in tickets]
    assert tokens == [f"[erased]#{tickets[0].pk}", f"[erased]#{tickets[1].pk}"]
    assert all(t.data_subject_identifier == SCRUBBED for t in tickets)
