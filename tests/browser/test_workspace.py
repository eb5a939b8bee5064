"""The staff workspace at 1280 px: each role's dashboard, the request and incident lists with
their deadline column in view, and axe-core's accessibility check of the main pages."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from playwright.sync_api import expect

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from apps.demo.management.commands.seed_demo import DEMO_PASSWORD, EXTERNAL_AUDITOR
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


# The main models' lists and forms: each list, its add form and the change form of its first row.
ADMIN_MODELS = [
    "controllers/controller",
    "processors/processingactivity",
    "subprocessors/subprocessor",
    "dsar/dsarticket",
    "breaches/breachincident",
    "processors/securitymeasure",
    "data_categories/datacategory",
    "accounts/user",
    "processors/processor",
]
# Portal pages not to open while walking the links: they sign out, switch, or send a file.
NOT_PAGES = re.compile(
    r"/logout/|/switch/|/files/|download|receipt|\.pdf$|\.csv$|\.zip$|/status/"
)


def admin_pages() -> list[str]:
    pages = ["/admin/"]
    for path in ADMIN_MODELS:
        model = apps.get_model(*path.split("/"))
        first = model._default_manager.order_by("pk").first()
        pages += [f"/admin/{path}/", f"/admin/{path}/add/", f"/admin/{path}/{first.pk}/change/"]
    return pages


def walk_portal(page, start: str = "/portal/") -> dict[str, list[str]]:
    """Open every portal page reachable by links from `start`; axe-core's severe findings."""
    to_visit, seen, found = [start], set(), {}
    while to_visit:
        url = to_visit.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        page.shoot(url.strip("/").replace("/", "-") or "root")
        if violations := severe_violations(page):
            found[url] = violations
        links = page.eval_on_selector_all(
            "a[href]", "links => links.map(a => new URL(a.href).pathname)"
        )
        to_visit += [
            link
            for link in links
            if link.startswith("/portal/") and link not in seen and not NOT_PAGES.search(link)
        ]
    assert len(seen) >= 10, seen
    return found


def test_the_main_admin_lists_and_forms_have_no_serious_accessibility_violation(demo, new_page):
    page = at_1280(new_page())
    staff_login(page, STAFF[PRIVACY_OFFICER])
    found = {}
    for url in admin_pages():
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.shoot(url.strip("/").replace("/", "-"))
        if violations := severe_violations(page):
            found[url] = violations
    assert found == {}, "\n".join(f"{url}: {v}" for url, vs in found.items() for v in vs)


def test_every_portal_page_of_a_customer_admin_has_no_serious_accessibility_violation(
    demo, new_page
):
    page = at_1280(new_page())
    customer_login(page, ALEX)
    found = walk_portal(page)
    assert found == {}, "\n".join(f"{url}: {v}" for url, vs in found.items() for v in vs)


def test_every_portal_page_of_an_auditor_has_no_serious_accessibility_violation(demo, new_page):
    page = at_1280(new_page())
    page.goto("/portal/login/")
    page.get_by_label("Email").fill(EXTERNAL_AUDITOR)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/audits/terms/"))
    found = {}
    if violations := severe_violations(page):
        found["/portal/audits/terms/"] = violations
    page.get_by_label("I accept these confidentiality terms").check()
    page.get_by_role("button", name="Accept and start the audit").click()
    expect(page.get_by_text("Terms accepted. The audit can start.")).to_be_visible()
    found |= walk_portal(page)
    assert found == {}, "\n".join(f"{url}: {v}" for url, vs in found.items() for v in vs)


def test_the_signed_out_pages_have_no_serious_accessibility_violation(demo, new_page):
    page = at_1280(new_page())
    found = {}
    for url in ["/portal/login/", "/portal/password/reset/", "/admin/login/", "/subprocessors/"]:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        if violations := severe_violations(page):
            found[url] = violations
    assert found == {}, "\n".join(f"{url}: {v}" for url, vs in found.items() for v in vs)
