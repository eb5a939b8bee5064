"""A breach in a real browser: a Security Lead records and notifies it in the admin; the
customer reads and acknowledges the notice in the portal; the admin shows the acknowledgement."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.breaches.models import BreachIncident
from apps.notifications.models import Notification
from tests.browser.helpers import customer_login, staff_login

pytestmark = pytest.mark.browser

TITLE = "Backup bucket readable without credentials"


def choose_in_autocomplete(page, field: str, search: str, option: str) -> None:
    """Pick a value in one of the admin's autocomplete (select2) fields."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.get_by_role("option", name=option, exact=True).click()


def fill_split_datetime(page, field: str, when) -> None:
    page.locator(f"input[name={field}_0]").fill(f"{when:%Y-%m-%d}")
    page.locator(f"input[name={field}_1]").fill(f"{when:%H:%M:%S}")


def choose_in_filter(page, what: str, option: str) -> None:
    page.get_by_role("listbox", name=re.compile(f"^Available {what}")).select_option(option)
    page.get_by_role("button", name=f"Choose selected {what}").click()


def run_action(page, reference: str, label: str) -> None:
    page.get_by_role("checkbox", name=f"Select this object for an action - {reference}").check()
    page.locator("select[name=action]").select_option(label=label)
    page.get_by_role("button", name="Go").click()


def test_security_lead_records_and_notifies_a_breach_and_the_customer_acknowledges(demo, new_page):
    lead = User.objects.get(email="security@calljmp.example")
    page = new_page()
    staff_login(page, lead.email)
    page.get_by_role("rowheader", name="Breach incidents").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Breach incidents")).to_be_visible()
    page.shoot("incidents")
    page.get_by_role("link", name="Add breach incident").click()
    now = timezone.now().replace(microsecond=0)

    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Risk level").select_option(label="High")
    expect(page.get_by_label("Owner")).to_have_value(str(lead.pk))
    fill_split_datetime(page, "occurred_from", now - timedelta(hours=5))
    fill_split_datetime(page, "occurred_to", now - timedelta(hours=3))
    fill_split_datetime(page, "became_aware_at", now - timedelta(hours=2))
    page.get_by_label("Confidentiality breach").check()
    page.get_by_label("Description").fill(
        "A misconfigured policy made one backup bucket readable without credentials."
    )
    choose_in_filter(page, "categories of personal data concerned", "Email addresses")
    choose_in_filter(
        page, "categories of data subjects concerned", "End users of the customer's app"
    )
    page.get_by_label("Approximate number of data subjects").fill("1200")
    page.get_by_label("Approximate number of records").fill("5400")
    page.get_by_role("textbox", name="Contact point").fill("Pia Officer, DPO, dpo@calljmp.example")
    page.get_by_role("textbox", name="Likely consequences").fill(
        "Email addresses may have been copied."
    )
    page.get_by_label("Measures taken").fill("Bucket policy fixed; access logs reviewed.")
    page.get_by_label("Measures proposed").fill("A check of every bucket policy on deploy.")
    choose_in_autocomplete(page, "affected_subprocessors", "Cloud", "Cloudflare")
    page.shoot("add-incident")
    page.get_by_role("button", name="Save", exact=True).click()

    incident = BreachIncident.objects.get(title=TITLE)
    expect(page.locator(".messagelist .success").first).to_contain_text(incident.reference)
    page.shoot("recorded")

    run_action(
        page, incident.reference, "Add proposed controllers (from subprocessors and activities)"
    )
    expect(page.get_by_text("Proposed controllers added: 1 incident(s).")).to_be_visible()
    run_action(page, incident.reference, "Confirm affected controllers")
    expect(page.get_by_text("Affected controllers confirmed: 1 incident(s).")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=incident.reference)).to_contain_text("0/3")
    page.shoot("confirmed")
    run_action(page, incident.reference, "Notify confirmed controllers not yet notified")
    expect(page.get_by_text("Notices queued: 1 incident(s).")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=incident.reference)).to_contain_text(
        "all notified"
    )
    page.shoot("notified")

    incident.refresh_from_db()
    assert incident.owner.email == "security@calljmp.example"
    assert incident.nature_confidentiality and incident.approx_data_subjects == 1200
    assert [c.name for c in incident.data_categories.all()] == ["Email addresses"]
    assert incident.controllers_confirmed_by.email == "security@calljmp.example"
    assert set(incident.notifications.values_list("controller__legal_name", flat=True)) == {
        "Acme Fitness Ltd",
        "Birch Health GmbH",
        "Cobalt Games SAS",
    }
    assert not incident.notifications.filter(sent_at__isnull=True).exists()
    notices = Notification.objects.filter(kind="breach.notification", subject__contains=TITLE)
    assert set(notices.values_list("recipient", flat=True)) >= {
        "privacy@acme-fitness.example",
        "dpo@acme-fitness.example",
        "datenschutz@birch-health.example",
        "rgpd@cobalt-games.example",
    }

    customer = new_page()
    customer_login(customer, "alex@acme-fitness.example")
    customer.get_by_role("link", name="Breach incidents", exact=True).click()
    customer.shoot("customer-incidents")
    customer.get_by_role("link", name=incident.reference).click()
    expect(
        customer.get_by_role("heading", name=f"Breach {incident.reference}: {TITLE}")
    ).to_be_visible()
    expect(customer.get_by_text("Bucket policy fixed; access logs reviewed.")).to_be_visible()
    customer.shoot("customer-incident")
    customer.get_by_role("button", name="Acknowledge receipt of this notice").click()
    expect(
        customer.get_by_text(f"You acknowledged our notice of {incident.reference}.")
    ).to_be_visible()
    expect(customer.get_by_text("By Alex Acme on")).to_be_visible()
    customer.shoot("customer-acknowledged")

    page.get_by_role("link", name=incident.reference, exact=True).click()
    acme_row = page.locator("#notifications-group tr").filter(has_text="Acme Fitness Ltd")
    expect(acme_row).to_contain_text("Alex Acme")
    page.shoot("admin-acknowledged")
    notice = incident.notifications.get(controller__legal_name="Acme Fitness Ltd")
    assert notice.acknowledged_by.email == "alex@acme-fitness.example"
    assert notice.acknowledged_at is not None
