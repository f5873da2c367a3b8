"""Headless Chromium from Debian, driven by Playwright, against the live server.

Never `playwright install`: it downloads a browser. Without /usr/bin/chromium these
tests skip, unless VQADEMO_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("VQADEMO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("VQADEMO_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _page(browser, live_server, bypass_csp: bool):
    context = browser.new_context(base_url=live_server, bypass_csp=bypass_csp)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    return page, context


@pytest.fixture
def page(browser, live_server):
    """A page for the tests, which wait with page.wait_for_function: Playwright evaluates
    those in the page, which the page's Content-Security-Policy forbids, so this context
    bypasses it. `strict_page` keeps it."""
    page, context = _page(browser, live_server, bypass_csp=True)
    yield page
    context.close()


@pytest.fixture
def strict_page(browser, live_server):
    page, context = _page(browser, live_server, bypass_csp=False)
    yield page
    context.close()
