"""The chat page in a real browser (Debian's Chromium through Playwright)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from live_server import chromium, live_hotline

pytestmark = pytest.mark.browser


def test_quick_exit_replaces_page_and_history_and_erases(tmp_path: Path) -> None:
    with live_hotline(tmp_path / "var", HOTLINE_QUICK_EXIT_URL="about:blank") as base, chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + "/?lang=en")
        page.wait_for_selector("li.msg[data-key=safety_check]")
        # keyboard only: type and press Enter
        page.get_by_label(re.compile("message", re.I)).fill("he took my passport")
        page.keyboard.press("Enter")
        page.wait_for_selector("li.msg.person")
        conv = page.evaluate("JSON.parse(sessionStorage.getItem('hotline.conv'))")
        entries = page.evaluate("history.length")
        page.get_by_role("button", name=re.compile("exit", re.I)).click()
        page.wait_for_url("about:blank")
        # the chat page's history entry was replaced, not added to: Back does not return to it
        assert page.evaluate("history.length") == entries
        page.go_back()
        assert not page.url.startswith(base)
        # the conversation is gone on the server: its token opens nothing any more
        import time

        import httpx

        deadline = time.monotonic() + 10  # the beacon is sent as the page leaves: allow it to land
        while True:
            resp = httpx.post(f"{base}/api/conversations/{conv['id']}/messages", json={"text": "hi"},
                              headers={"Authorization": "Bearer " + conv["token"]}, trust_env=False)
            if resp.status_code == 404 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert resp.status_code == 404
        context.close()


def test_arabic_renders_right_to_left(tmp_path: Path) -> None:
    locales = Path(__file__).resolve().parent.parent / "locales"
    if not (locales / "ar.yml").exists():
        pytest.skip("no Arabic locale yet")
    with live_hotline(tmp_path / "var") as base, chromium() as browser:
        page = browser.new_page(locale="ar")
        page.goto(base + "/")
        page.wait_for_selector("li.msg[data-key=greet]")
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("getComputedStyle(document.querySelector('li.msg')).direction") == "rtl"
        box = page.locator("li.msg.bot").first.bounding_box()
        width = page.viewport_size["width"]
        assert box["x"] + box["width"] > width * 0.6  # bot bubbles sit on the right in RTL
        page.screenshot(path=str(tmp_path / "arabic.png"))
