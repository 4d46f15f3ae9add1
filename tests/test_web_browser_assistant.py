"""Issue 2's browser check with the real assistant: open "/", ask "what are my rights?", get the
answer from the trained model rendered from locales/, then leave with the quick exit."""
from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from hotline import i18n
from live_server import chromium, live_hotline
from rasa_servers import rasa_action_server, rasa_servers  # noqa: F401 - session fixtures

pytestmark = [pytest.mark.browser, pytest.mark.rasa]


def test_rights_question_answered_then_quick_exit(tmp_path: Path, rasa_servers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    exit_page = "about:blank"
    with live_hotline(tmp_path / "var", rasa_url=rasa_servers.url, HOTLINE_QUICK_EXIT_URL=exit_page) as base, \
            chromium() as browser:
        page = browser.new_context(locale="en-GB").new_page()
        page.goto(base + "/")
        page.wait_for_selector("li.msg[data-key=safety_check]")
        box = page.get_by_label(re.compile("message", re.I))
        box.focus()  # keyboard only from here
        page.keyboard.type("what are my rights?")
        page.keyboard.press("Enter")
        answer = page.wait_for_selector("li.msg.bot[data-key='rights.overview']", timeout=30_000)
        assert answer.query_selector(".text").inner_text() == i18n.render("rights.overview", "en", channel="web")
        conv = page.evaluate("JSON.parse(sessionStorage.getItem('hotline.conv'))")
        page.keyboard.press("Escape")  # the quick exit also works from the keyboard
        page.wait_for_url(exit_page)
        deadline = time.monotonic() + 10
        while True:  # the erase beacon leaves with the page
            status = httpx.post(f"{base}/api/conversations/{conv['id']}/messages", json={"text": "hi"},
                                headers={"Authorization": "Bearer " + conv["token"]}, trust_env=False).status_code
            if status == 404 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 404
