"""The archive in a real browser: headless Chromium from the OS packages, driven by
Playwright (its own browser download is not used). One browser for the module."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import CORRECTION, RETRACTION
from tests.web.feed_rules import atom_problems, json_feed_problems

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# CI installs Chromium (.ci/run), so there a missing browser fails instead of skipping.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="no Chromium: apt-get install chromium (.ci/run does)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=FLAGS, headless=True,
            java_script_enabled=False)
        yield context
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    tab = browser.new_page()
    yield tab
    tab.close()


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not displayed"
    return found


@pytest.mark.parametrize("width", [390, 1280])
def test_story_page_reads_well_on_a_phone_and_a_desktop(server, archive, page, tmp_path,
                                                        width) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(f"{server.url}/stories/{archive.ids['corrected']}")
    assert response.status == 200
    shot = tmp_path / f"story-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.locator("h1").inner_text() == archive.headlines["corrected"]
    corrections = box(page, "section.corrections")
    text = box(page, "#text p")
    assert corrections["y"] + corrections["height"] <= text["y"]
    assert CORRECTION in page.locator("section.corrections").inner_text()
    assert "Correction, 25 Nov 2026:" in page.locator("section.corrections").inner_text()
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"horizontal scroll: {scroll} px content in a {width} px window"
    assert page.locator("ol.sources li").count() == 3
    assert page.locator("a[href^='https://']").count() >= 3


def test_a_long_url_does_not_make_the_phone_page_scroll_sideways(server, archive,
                                                                  page) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{server.url}/stories/{archive.ids['hostile']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("h1").inner_text().startswith("<script>alert(1)</script>")


def test_a_retracted_story_shows_the_notice_and_not_the_text(server, archive, page,
                                                             tmp_path) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{server.url}/stories/{archive.ids['retracted']}")
    page.screenshot(path=str(tmp_path / "retracted-390.png"), full_page=True)
    notice = page.locator("section.retracted").inner_text()
    assert "Retracted, 27 Nov 2026" in notice and RETRACTION in notice
    assert page.locator("#text").count() == 0
    assert "RETRACTED" in page.locator("h1").inner_text().upper()


def test_a_story_in_review_is_a_404(server, archive, page) -> None:
    response = page.goto(f"{server.url}/stories/{archive.ids['in_review']}")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    assert archive.headlines["in_review"] not in page.content()


def test_the_feeds_the_browser_fetches_validate(server, page) -> None:
    atom = page.goto(f"{server.url}/feed.atom")
    assert atom.status == 200 and atom.headers["content-type"].startswith(
        "application/atom+xml")
    assert atom_problems(atom.body()) == []
    feed = page.goto(f"{server.url}/feed.json")
    assert feed.status == 200
    assert json_feed_problems(feed.body()) == []


def test_the_home_page_search_form_works_without_javascript(server, archive, page) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{server.url}/search")
    page.fill("input[name=q]", "chip export")
    page.click("button[type=submit]")
    page.wait_for_url("**/search?q=chip+export")
    assert page.locator("a.headline").all_inner_texts() == [archive.headlines["plain"]]
