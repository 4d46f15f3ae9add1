"""The safety net when the assistant is slow: a P0 message is answered within the 2 s budget even
when Rasa accepts connections but takes seconds to answer (issue 3)."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from conftest import reset_caches


class SlowRasa(BaseHTTPRequestHandler):
    delay = 5.0

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def slow_rasa() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("text", ["he is beating me right now", "m-a inchis in camera si ma bate, ajutor",
                                  "мене зачинили і б'ють, допоможіть", "ساعدوني هو يضربني الآن"])
def test_p0_reply_within_two_seconds_when_rasa_hangs(hotline_env, slow_rasa: str, monkeypatch, text: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOTLINE_RASA_URL", slow_rasa)
    reset_caches()
    from hotline.app import create_app

    with TestClient(create_app()) as client:
        conv = client.post("/api/conversations", json={}).json()  # greeting falls back after the timeout
        began = time.monotonic()
        resp = client.post(f"/api/conversations/{conv['id']}/messages", json={"text": text},
                           headers={"Authorization": "Bearer " + conv["token"]})
        elapsed = time.monotonic() - began
    assert resp.status_code == 202
    assert resp.json()["replies"][0] == "emergency.lead"
    assert elapsed < 2.0, f"P0 reply took {elapsed:.2f} s with a hanging assistant"
