"""Two real browser contexts (Debian's Chromium through Playwright) against the real service:
a person writes a dangerous message in Romanian with Rasa unreachable, consents, and a logged-in
worker on duty sees it at the top of the live queue within a second, reads the summary with the
Romanian original, joins; the person sees the worker's first name; they write to each other."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from live_server import REPO, chromium, live_hotline
from test_staff_fixtures import DANGER_RO, PASSWORD

pytestmark = pytest.mark.browser
SECRET = "live-test-secret"  # what live_hotline gives the service


def _add_worker(var: Path) -> None:
    """Through the real command line, with the service's own var dir and secret."""
    env = {**os.environ, "HOTLINE_VAR_DIR": str(var), "HOTLINE_SECRET_KEY": SECRET}
    env.pop("HOTLINE_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "hotline", "staff", "add", "ana", "--first-name", "Ana",
                             "--role", "worker", "--language", "en", "--password-stdin"],
                            input=PASSWORD + "\n", capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert result.returncode == 0, result.stderr


def wait_for_warm_up(base: str) -> None:
    """The service loads its triage and language models in the background after start-up, and a
    message arriving meanwhile waits for them (tens of seconds on a busy machine). A throwaway
    conversation's first message returns once they are loaded; it is erased straight after."""
    with httpx.Client(base_url=base, trust_env=False, timeout=300) as http:
        conv = http.post("/api/conversations", json={"language": "en"}).json()
        http.post(f"/api/conversations/{conv['id']}/messages", json={"text": "hello"},
                  headers={"Authorization": "Bearer " + conv["token"]}).raise_for_status()
        http.post(f"/api/conversations/{conv['id']}/exit", json={"token": conv["token"]}).raise_for_status()


def test_person_and_worker_meet_through_the_live_queue(tmp_path: Path) -> None:
    var = tmp_path / "var"
    _add_worker(var)
    with live_hotline(var, HOTLINE_SECRET_KEY=SECRET) as base, chromium() as browser:
        wait_for_warm_up(base)
        staff_ctx = browser.new_context(locale="en-GB")
        worker = staff_ctx.new_page()
        worker.goto(base + "/staff/login")
        worker.get_by_label("Username").fill("ana")
        worker.get_by_label("Password").fill(PASSWORD)
        worker.keyboard.press("Enter")
        worker.wait_for_url(base + "/staff")
        worker.get_by_role("button", name="Go on duty").click()
        worker.wait_for_selector("#duty-state.on")
        worker.wait_for_selector("body[data-live=ready]")

        person_ctx = browser.new_context(locale="ro-RO")
        person = person_ctx.new_page()
        person.goto(base + "/")
        person.wait_for_selector("li.msg[data-key=safety_check]")
        person.locator("#text").fill(DANGER_RO)
        person.keyboard.press("Enter")
        person.wait_for_selector('li.msg[data-key="emergency.lead"]')
        lead = person.locator('li.msg[data-key="emergency.lead"]').inner_text()
        assert "112" in lead and "da" in lead  # the emergency number first, then the offer of a person

        person.locator("#text").fill("da")
        began = time.monotonic()
        person.keyboard.press("Enter")
        top = worker.wait_for_selector('#queue-body tr:first-child[data-tier="P0"]', timeout=5000)
        elapsed = time.monotonic() - began
        print(f"P0 at the top of the worker's queue {elapsed * 1000:.0f} ms after the person pressed Enter")
        assert elapsed < 1.0
        row = top.inner_text()
        assert "Romanian" in row and "web" in row
        person.wait_for_selector('li.msg[data-key="handover.accepted"]')

        worker.get_by_role("link", name="Read summary").first.click()
        worker.wait_for_selector("h1:has-text('Before you join')")
        assert worker.get_by_text(DANGER_RO).first.is_visible()  # the Romanian original
        assert worker.locator(f'[lang="ro"]:has-text("{DANGER_RO}")').count() >= 1
        worker.get_by_role("button", name="Join").click()
        worker.wait_for_url(f"{base}/staff/handovers/*/chat")
        worker.wait_for_selector("body[data-live=ready]")

        joined = person.wait_for_selector('li.msg[data-key="handover.worker_joined"]', timeout=5000)
        assert "Ana" in joined.inner_text()

        worker.get_by_label("Message to the person").fill("I am here with you. Are you somewhere safe right now?")
        worker.keyboard.press("Enter")
        reply = person.wait_for_selector("li.msg.worker", timeout=5000)
        assert "Are you somewhere safe right now?" in reply.inner_text()

        person.locator("#text").fill("nu, el este aici")
        person.keyboard.press("Enter")
        worker.wait_for_selector('li.line.person:has-text("nu, el este aici")', timeout=5000)
        worker.screenshot(path=str(tmp_path / "worker-chat.png"))
        person.screenshot(path=str(tmp_path / "person-chat.png"))
        staff_ctx.close()
        person_ctx.close()
