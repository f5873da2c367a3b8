"""The page follows the worlds: a world defined only in a test shows up on the page,
with its samples and what it knows, and its answers are drawn, with no page edit."""

from __future__ import annotations

import pytest

from app.main import create_app
from tests.conftest import COMMITTED_MODELS, make_settings, serving
from tests.worlds.test_contract import WITH_TOY


@pytest.fixture(scope="module")
def toy_server():
    settings = make_settings(COMMITTED_MODELS, models="vqa,scene_ood")
    with serving(create_app(settings, worlds=WITH_TOY)) as url:
        yield url


def test_a_third_world_appears_and_answers_without_page_edits(browser, toy_server):
    context = browser.new_context(base_url=toy_server, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    row = page.locator("[data-testid=vqa-world][data-world=stripes]")
    row.get_by_test_id("vqa-sample").wait_for()
    assert row.locator("h3").inner_text() == "Stripes"
    photo_row = page.locator("[data-testid=vqa-world][data-world=photo]")
    assert "not loaded" in photo_row.locator("h3").inner_text()  # this server has no photo models
    row.get_by_test_id("vqa-sample").click()
    page.locator("#vqa-suggestions .chip").first.click()
    page.locator("[data-testid=vqa-world-note][data-world=stripes]").wait_for()
    assert page.get_by_test_id("vqa-answers").locator(".top-answer").inner_text() == "4"
    assert "edges" in page.get_by_test_id("vqa-evidence").text_content()  # a kind the page has no drawing for: listed
    assert page.get_by_test_id("vqa-history-world").first.inner_text() == "stripes"
    assert errors == []
    context.close()
