"""Browser journeys in real headless Chromium (Debian's package) driven by Playwright.

Playwright's own browser download cannot work here, so we launch /usr/bin/chromium. Without it
these tests are skipped with the reason; CI installs it, so there they always run.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
)
SCREENSHOTS = Path(os.environ.get("KOPERASI_SCREENSHOTS", "test-artifacts/screenshots"))

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls are
# ours and synchronous, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM:
                item.add_marker(
                    pytest.mark.skip(reason="Chromium not installed (apt-get install chromium)")
                )


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


# Each journey runs on a phone (the width the cooperative's members and field staff use) and on
# a desktop (the teller's counter).
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


class BrowserProblems:
    """Content-Security-Policy violations and script errors the browser reported."""

    def __init__(self, page) -> None:
        self.seen: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append(f"script error: {error}"))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.seen.append(f"CSP: {text} ({page_url(message)})")
        elif message.type == "error" and "favicon" not in text:
            self.seen.append(f"console error: {text} ({page_url(message)})")


def page_url(message) -> str:
    return (message.location or {}).get("url", "")


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def page(request, browser, settings):
    settings.AXES_ENABLED = False
    context = browser.new_context(locale="id-ID", viewport=VIEWPORTS[request.param])
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = BrowserProblems(page)
    yield page
    context.close()
    assert problems.seen == [], "the browser reported problems"


def shot(page, name: str) -> None:
    """A full-page screenshot, named for the viewport (phone or desktop) it was taken at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    viewport = next((k for k, v in VIEWPORTS.items() if v["width"] == width), f"{width}px")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{viewport}.png"), full_page=True)


def scroll_width(page) -> int:
    """How wide the page is: wider than the viewport means it scrolls sideways."""
    return page.evaluate("document.scrollingElement.scrollWidth")
