import time

import pytest
from playwright.sync_api import expect

from apps.controllers.models import Controller
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
    expect(page.get_by_text("seed_demo").first).to_be_visible()
    page.shoot("controller-history")
    response = page.request.post(f"/admin/controllers/controller/{acme.pk}/delete/")
    assert response.status == 403
    page.goto("/admin/controllers/controller/add/")
    expect(page.get_by_text("403").first).to_be_visible()
    page.shoot("add-refused")
