"""The staff workspace at 1280 px: each role's dashboard, the request and incident lists with
their deadline column in view, and axe-core's accessibility check of the main pages."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from tests.browser.helpers import customer_login, staff_login

WIDTH, HEIGHT = 1280, 800
STAFF = {
    PRIVACY_OFFICER: "privacy@calljmp.example",
    SUPPORT_AGENT: "support@calljmp.example",
    SECURITY_LEAD: "security@calljmp.example",
    AUDITOR: "auditor@calljmp.example",
}
ALEX = "alex@acme-fitness.example"
SEVERE = {"serious", "critical"}


def at_1280(page):
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    return page


def severe_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s): "
        + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in results.response["violations"]
        if v.get("impact") in SEVERE
    ]


def assert_in_view(page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (selector, box)


@pytest.mark.parametrize("role", list(STAFF))
def test_each_roles_dashboard_opens_at_1280_px(demo, new_page, role):
    page = at_1280(new_page())
    staff_login(page, STAFF[role])
    expect(page.get_by_role("heading", name="What needs doing now")).to_be_visible()
    page.shoot(f"dashboard-{role.lower().replace(' ', '-')}")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert severe_violations(page) == []


def test_the_request_and_incident_lists_show_their_deadline_at_1280_px(demo, new_page):
    page = at_1280(new_page())
    staff_login(page, STAFF[PRIVACY_OFFICER])
    page.goto("/admin/dsar/dsarticket/")
    expect(page.get_by_role("heading", name="Data-subject requests")).to_be_visible()
    page.shoot("dsar-list")
    assert_in_view(page, "th.column-days_left")
    assert_in_view(page, "th.column-status")
    page.goto("/admin/breaches/breachincident/")
    expect(page.get_by_role("heading", name="Breach incidents")).to_be_visible()
    page.shoot("breach-list")
    assert_in_view(page, "th.column-target_clock")
    assert_in_view(page, "th.column-status")


ADMIN_PAGES = [
    "/admin/dsar/dsarticket/",
    "/admin/breaches/breachincident/",
    "/admin/controllers/controller/",
    "/admin/processors/processingactivity/",
    "/admin/subprocessors/subprocessor/",
    "/admin/dsar/dsarticket/add/",
    "/admin/breaches/breachincident/add/",
]
PORTAL_PAGES = [
    "/portal/",
    "/portal/records/",
    "/portal/subprocessors/",
    "/portal/members/",
    "/portal/requests/",
    "/portal/requests/new/",
    "/portal/incidents/",
    "/portal/data/",
    "/portal/account/",
]


def test_the_main_admin_pages_have_no_serious_accessibility_violation(demo, new_page):
    page = at_1280(new_page())
    staff_login(page, STAFF[PRIVACY_OFFICER])
    found = {}
    for url in ADMIN_PAGES:
        page.goto(url)
        page.shoot(url.strip("/").replace("/", "-"))
        if violations := severe_violations(page):
            found[url] = violations
    assert found == {}, "\n".join(f"{url}: {v}" for url, vs in found.items() for v in vs)


def test_the_portal_pages_have_no_serious_accessibility_violation(demo, new_page):
    page = at_1280(new_page())
    customer_login(page, ALEX)
    found = {}
    for url in PORTAL_PAGES:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.shoot(url.strip("/").replace("/", "-"))
        if violations := severe_violations(page):
            found[url] = violations
    assert found == {}, "\n".join(f"{url}: {v}" for url, vs in found.items() for v in vs)
