"""Real-browser tests: Playwright for Python driving Debian's Chromium against a live server.

Each test saves a screenshot of every page it passes through under artifacts/browser/<test>/,
which CI keeps.
"""

import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            "Chromium is not installed at /usr/bin/chromium: `make test` and .ci/run install "
            "it with apt-get when run as root"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API keeps an event loop running in the test thread; Django refuses
    # database access from such a thread unless told that this is intended.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


class Camera:
    """Saves numbered screenshots of the pages a test walks through."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def shoot(self, page, name: str) -> None:
        self.count += 1
        page.screenshot(path=self.folder / f"{self.count:02d}-{name}.png", full_page=True)


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=StringIO())


@pytest.fixture
def new_page(browser, live_server, request):
    """Opens a fresh browser context (its own cookies) on the live server; several per test."""
    contexts = []
    camera = Camera(SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name))

    def open_page():
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.shoot = lambda name: camera.shoot(page, name)
        return page

    yield open_page
    for context in contexts:
        context.close()
