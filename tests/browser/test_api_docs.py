"""The API's interactive docs in a real browser: Swagger UI starts from our static files under
the site's Content-Security-Policy, with no violation and nothing fetched from elsewhere."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_render_under_the_content_security_policy(new_page, live_server, db):
    page = new_page()
    problems = []
    outside = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto("/api/v1/docs")
    expect(page.get_by_text("Records of processing API").first).to_be_visible()
    expect(
        page.get_by_text("/api/v1/organisations/{organisation_id}/requests").first
    ).to_be_visible()
    page.shoot("api-docs")
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert outside == []
