import re
import time

import pytest
from playwright.sync_api import expect

from apps.audit.models import AuditAccessLog, AuditGrant
from apps.controllers.models import Controller
from apps.demo.management.commands.seed_demo import (
    DEMO_PASSWORD,
    DSAR_ACCESS_TOKEN,
    EXTERNAL_AUDITOR,
)
from apps.dsar.models import DsarTicket
from apps.trail.models import TrailEntry
from tests.browser.helpers import customer_login, staff_login

pytestmark = pytest.mark.browser


def test_visitor_reads_the_public_subprocessor_list(demo, new_page):
    page = new_page()
    page.goto("/subprocessors/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for name in ("Cloudflare", "Stripe", "Resend"):
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    expect(page.get_by_text("Standard contractual clauses").first).to_be_visible()
    page.shoot("public-subprocessors")
    response = page.request.get("/subprocessors.json")
    assert response.ok
    assert {s["name"] for s in response.json()["subprocessors"]} >= {"Cloudflare", "Stripe"}


def test_customer_signs_in_and_reads_its_record(demo, new_page):
    page = new_page()
    customer_login(page, "alex@acme-fitness.example")
    expect(page.get_by_text("Acme Fitness Ltd").first).to_be_visible()
    page.shoot("dashboard")
    page.get_by_role("link", name="Processing records").first.click()
    expect(page.get_by_role("link", name="Storing app data")).to_be_visible()
    page.shoot("records")
    page.get_by_role("link", name="Storing app data").click()
    expect(page.get_by_text("Encryption at rest").first).to_be_visible()
    page.shoot("record-detail")


def test_staff_signs_in_with_a_code_and_password_alone_is_refused(demo, new_page):
    page = new_page()
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Email").fill("privacy@calljmp.example")
    page.get_by_label("Password").fill("calljmp-demo-2026")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errornote").first).to_be_visible()
    page.shoot("wrong-code")
    time.sleep(1.5)  # a wrong code blocks the device for a second before the next try
    staff_login(page, "privacy@calljmp.example")
    expect(page.get_by_role("link", name="Controllers").first).to_be_visible()
    page.shoot("admin-index")


def test_auditor_reads_history_and_cannot_change_anything(demo, new_page):
    page = new_page()
    staff_login(page, "auditor@calljmp.example")
    acme = Controller.objects.get(legal_name="Acme Fitness Ltd")
    page.goto(f"/admin/controllers/controller/{acme.pk}/change/")
    expect(page.get_by_role("heading", name="View controller")).to_be_visible()
    assert page.locator('input[name="_save"]').count() == 0
    assert page.locator('input[name="legal_name"]').count() == 0
    page.shoot("controller-read-only")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_text("Demo data loaded").first).to_be_visible()
    page.shoot("controller-history")
    response = page.request.post(f"/admin/controllers/controller/{acme.pk}/delete/")
    assert response.status == 403
    page.goto("/admin/controllers/controller/add/")
    expect(page.get_by_text("403").first).to_be_visible()
    page.shoot("add-refused")

    # The audit trail: every change, through which door, with the reason; nothing to change.
    page.goto("/admin/")
    page.get_by_role("rowheader", name="Audit trail").get_by_role("link").click()
    trail = page.locator("#trail")
    expect(trail).to_contain_text("Demo data loaded")
    expect(trail).to_contain_text("Acme Fitness Ltd")
    assert page.locator('input[name="_save"], select[name="action"]').count() == 0
    page.shoot("audit-trail")
    # Who: picked by name in the admin's search-as-you-type box, not typed as an id.
    page.locator("#id_user + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("support@")
    page.locator(".select2-results__option").first.click()
    page.get_by_role("button", name="Filter").click()
    expect(trail).to_contain_text("Ticket assigned")
    expect(trail).not_to_contain_text("Demo data loaded")
    page.shoot("audit-trail-filtered")
    entry = TrailEntry.objects.first()
    response = page.request.post(f"/admin/trail/trailentry/{entry.pk}/delete/")
    assert response.status == 403

    # A ticket reads in full, timeline included, with no way to work it.
    ticket = DsarTicket.objects.get(submission_token=DSAR_ACCESS_TOKEN)
    page.goto("/admin/")
    page.get_by_role("rowheader", name="DSAR tickets").get_by_role("link").click()
    page.get_by_role("link", name=ticket.reference).click()
    expect(page.get_by_role("heading", name="View DSAR ticket")).to_be_visible()
    expect(
        page.get_by_text("The export of the account's records is attached").first
    ).to_be_visible()
    for name in ("_save", "move_to", "reply_body", "attachment_upload"):
        assert page.locator(f'[name="{name}"]').count() == 0
    page.shoot("ticket-read-only")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_text("Ticket assigned").first).to_be_visible()
    page.shoot("ticket-history")
    response = page.request.post(
        f"/admin/dsar/dsarticket/{ticket.pk}/change/", form={"move_to": "completed"}
    )
    assert response.status == 403
    ticket.refresh_from_db()
    assert ticket.status == DsarTicket.Status.IN_PROGRESS


def test_customer_auditor_accepts_the_terms_then_reads_the_change_history(demo, new_page):
    page = new_page()
    page.goto("/portal/login/")
    page.get_by_label("Email").fill(EXTERNAL_AUDITOR)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.shoot("portal-login")
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("heading", name="Confidentiality terms of your audit of Acme Fitness Ltd")
    ).to_be_visible()
    page.shoot("terms")
    # Every page leads back to the terms until they are accepted.
    page.goto("/portal/records/")
    expect(page).to_have_url(re.compile(r"/portal/audits/terms/"))
    page.get_by_role("button", name="Accept and start the audit").click()
    expect(page.get_by_text("Accept the terms to start the audit.")).to_be_visible()
    page.shoot("terms-not-ticked")
    page.get_by_label("I accept these confidentiality terms").check()
    page.get_by_role("button", name="Accept and start the audit").click()
    expect(page.get_by_text("Terms accepted. The audit can start.")).to_be_visible()
    page.shoot("dashboard")

    page.get_by_role("link", name="Change history").click()
    expect(
        page.get_by_role("heading", name="Change history of Acme Fitness Ltd's records")
    ).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Acme Fitness Ltd")
    expect(page.get_by_role("table")).to_contain_text("Demo data loaded")
    page.shoot("change-history")
    # Read-only: no form to submit a request; a write is refused.
    page.get_by_role("link", name="Data-subject requests", exact=True).click()
    expect(page.get_by_role("link", name="Submit a request")).to_have_count(0)
    page.shoot("requests-read-only")

    grant = AuditGrant.objects.get(auditor__email=EXTERNAL_AUDITOR)
    assert grant.terms_accepted_at is not None
    assert AuditAccessLog.objects.filter(grant=grant, url_name="audit_history").exists()
    assert not DsarTicket.objects.filter(submitted_by=grant.auditor).exists()
