"""Data-subject requests in a real browser: the customer submits, replies and downloads; a
Support Agent works the request in the admin; the customer sees the outcome."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.controllers.models import Controller
from apps.demo.management.commands.seed_demo import DSAR_ACCESS_TOKEN
from apps.dsar.models import DsarPropagation, DsarTicket, DsarTimelineEntry
from apps.dsar.services import dsar_ticket_submit
from tests.browser.helpers import customer_login, staff_login

pytestmark = pytest.mark.browser

ALEX = "alex@acme-fitness.example"


def test_customer_submits_an_erasure_replies_and_downloads_a_file(demo, new_page):
    page = new_page()
    customer_login(page, ALEX)
    page.get_by_role("link", name="Data-subject requests", exact=True).click()
    expect(page.get_by_role("heading", name="Data-subject requests")).to_be_visible()
    page.shoot("requests")
    page.get_by_role("link", name="Submit a request").click()
    expect(page.get_by_role("heading", name="Submit a data-subject request")).to_be_visible()
    page.get_by_label("Type of request").select_option(label="Erasure (Art. 17)")
    page.get_by_label("How the person is known in your app").fill("user_erase_4711")
    # Typed as the customer reads times: in its organisation's zone (Acme is in London).
    received = (timezone.now() - timedelta(days=2)).astimezone(ZoneInfo("Europe/London"))
    page.get_by_label("When your organisation received the request (time in Europe/London)").fill(
        received.strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("What is asked").fill("Delete the account and its uploaded photos.")
    page.shoot("submit-form")
    page.get_by_role("button", name="Submit the request").click()

    ticket = DsarTicket.objects.get(data_subject_identifier="user_erase_4711")
    expect(page.get_by_role("heading", name=f"Request {ticket.reference}")).to_be_visible()
    expect(page.get_by_text(f"Request {ticket.reference} is submitted")).to_be_visible()
    page.shoot("submitted")

    page.get_by_role("link", name="Data-subject requests", exact=True).first.click()
    row = page.get_by_role("row").filter(has_text=ticket.reference)
    expect(row).to_contain_text("Erasure (Art. 17)")
    expect(row).to_contain_text("New")
    expect(row).to_contain_text(f"{ticket.due_at:%-d %b %Y}")
    page.shoot("requests-with-new")

    row.get_by_role("link", name=ticket.reference).click()
    page.get_by_label("Your reply").fill("The user id is the one in the app's settings page.")
    page.shoot("reply-form")
    page.get_by_role("button", name="Send the reply").click()
    expect(page.get_by_text("Your reply is added")).to_be_visible()
    expect(page.get_by_text("The user id is the one in the app's settings page.")).to_be_visible()
    page.shoot("replied")

    access = DsarTicket.objects.get(submission_token=DSAR_ACCESS_TOKEN)
    page.get_by_role("link", name="Data-subject requests", exact=True).first.click()
    page.get_by_role("link", name=access.reference).click()
    expect(page.get_by_role("heading", name="Files")).to_be_visible()
    page.shoot("access-request")
    with page.expect_download() as info:
        page.get_by_role("link", name="access-export.json").click()
    download = info.value
    assert download.suggested_filename == "access-export.json"
    with open(download.path(), "rb") as f:
        assert f.read() == b'{"user_id": "user_8f3a21", "records": 42, "files": 3}'

    ticket.refresh_from_db()
    alex = User.objects.get(email=ALEX)
    assert ticket.controller.legal_name == "Acme Fitness Ltd"
    assert (ticket.request_type, ticket.status, ticket.submitted_by) == ("erasure", "new", alex)
    assert ticket.details == "Delete the account and its uploaded photos."
    reply = ticket.timeline.get(kind=DsarTimelineEntry.Kind.REPLY)
    assert (reply.author, reply.visible_to_customer) == (alex, True)


def test_support_agent_assigns_and_completes_an_erasure_and_the_customer_sees_it(demo, new_page):
    acme = Controller.objects.get(legal_name="Acme Fitness Ltd")
    ticket = dsar_ticket_submit(
        controller=acme,
        submitted_by=User.objects.get(email=ALEX),
        request_type=DsarTicket.RequestType.ERASURE,
        data_subject_identifier="user_erase_0815",
        received_at=timezone.now() - timedelta(days=1),
        details="Delete everything about this user.",
    )
    assert ticket.propagations.filter(status=DsarPropagation.Status.PENDING).exists()

    page = new_page()
    staff_login(page, "support@calljmp.example")
    page.shoot("admin-index")
    page.get_by_role("link", name="DSAR tickets").first.click()
    row = page.get_by_role("row").filter(has_text=ticket.reference)
    expect(row).to_contain_text("New")
    page.shoot("work-queue")

    def run_action(label):
        page.get_by_role(
            "checkbox", name=f"Select this object for an action - {ticket.reference}"
        ).check()
        # The admin's label wraps the select, so its accessible name includes every option.
        page.locator("select[name=action]").select_option(label=label)
        page.get_by_role("button", name="Go").click()

    run_action("Assign selected tickets to me")
    expect(page.get_by_text("1 ticket(s) assigned to you.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=ticket.reference)).to_contain_text("Sam Support")
    page.shoot("assigned")
    run_action("Move to in progress")
    expect(page.get_by_text("1 ticket(s) moved to in progress.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=ticket.reference)).to_contain_text("In progress")
    page.shoot("in-progress")

    page.get_by_role("link", name=ticket.reference).click()
    expect(page.get_by_role("heading", name="Change DSAR ticket")).to_be_visible()
    names = ticket.propagations.values_list("subprocessor__name", flat=True)
    assert set(names) == {"Cloudflare", "Product analytics provider", "Resend"}
    for name in names:
        page.get_by_label(f"Propagation to {name}: status").select_option(label="Done")
    page.get_by_label("Resolution").fill("Erased from D1, R2 and every subprocessor.")
    page.get_by_label("Move to").select_option(label="Completed")
    page.shoot("complete-form")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success").first).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=ticket.reference)).to_contain_text("Completed")
    page.shoot("completed")

    ticket.refresh_from_db()
    assert ticket.status == DsarTicket.Status.COMPLETED
    assert ticket.assignee.email == "support@calljmp.example"
    assert not ticket.propagations.exclude(status=DsarPropagation.Status.DONE).exists()

    customer = new_page()
    customer_login(customer, ALEX)
    customer.get_by_role("link", name="Data-subject requests", exact=True).click()
    customer.get_by_role("link", name="Closed").click()
    expect(customer.get_by_role("row").filter(has_text=ticket.reference)).to_contain_text(
        "Completed"
    )
    customer.shoot("customer-closed-requests")
    customer.get_by_role("link", name=ticket.reference).click()
    expect(customer.get_by_text("Erased from D1, R2 and every subprocessor.")).to_be_visible()
    expect(customer.get_by_text("In progress → Completed")).to_be_visible()
    customer.shoot("customer-completed-request")
