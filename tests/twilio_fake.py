"""A local stand-in for Twilio's REST API, for tests that go through the real twilio client.

A threading ``http.server`` on 127.0.0.1 (free port) records every request the client makes
(path, form fields, basic-auth user) and answers like Twilio: ``Messages.json`` and ``Calls.json``
create resources (201, JSON with ``sid`` and ``status``), ``Calls/<sid>.json`` updates a call.
Point the hotline at it with ``TWILIO_API_BASE=<fake.url>``. ``fail_next`` makes the next create
answer with Twilio's error shape, to test what the hotline does when Twilio refuses.
"""
from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, list[str]]
    account: str
    sid: str | None = None  # the SID the fake answered with (a created message or call)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.form.get(name)
        return values[0] if values else default

    @property
    def resource(self) -> str:
        """``Messages``, ``Calls`` or ``Call`` (an update of one call)."""
        if re.search(r"/Calls/[^/]+\.json$", self.path):
            return "Call"
        return self.path.rsplit("/", 1)[-1].removesuffix(".json")


@dataclass
class FakeTwilio:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # HTTP statuses to answer the next creates with
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def of(self, resource: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.resource == resource]

    def messages(self) -> list[Recorded]:
        return self.of("Messages")

    def calls(self) -> list[Recorded]:
        return self.of("Calls")

    def call_updates(self) -> list[Recorded]:
        return self.of("Call")

    def wait_for(self, resource: str, count: int, timeout: float = 10.0) -> list[Recorded]:
        """The recorded requests of ``resource`` once there are ``count`` (sends may be async)."""
        import time

        deadline = time.monotonic() + timeout
        while len(self.of(resource)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.of(resource)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def _answer(self, record: Recorded) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(record)
            if self.fail_next and record.method == "POST":
                status = self.fail_next.pop(0)
                return status, {"code": 21610 if status == 400 else 20500, "message": "refused by the fake",
                                "more_info": "https://www.twilio.com/docs/errors", "status": status}
            number = next(self._ids)
        kind = record.resource
        if kind in ("Messages", "Calls"):
            record.sid = f"{'SM' if kind == 'Messages' else 'CA'}{number:032x}"
        if kind == "Messages":
            return 201, {"sid": record.sid, "status": "queued", "to": record.get("To"),
                         "from": record.get("From"), "body": record.get("Body"), "account_sid": record.account,
                         "num_segments": "1", "direction": "outbound-api"}
        if kind == "Calls":
            return 201, {"sid": record.sid, "status": "queued", "to": record.get("To"),
                         "from": record.get("From"), "account_sid": record.account, "direction": "outbound-api"}
        if kind == "Call":
            sid = record.path.rsplit("/", 1)[-1].removesuffix(".json")
            return 200, {"sid": sid, "status": record.get("Status") or "in-progress", "account_sid": record.account}
        return 404, {"code": 20404, "message": "not found", "status": 404}


def start_fake_twilio() -> tuple[FakeTwilio, ThreadingHTTPServer]:
    fake = FakeTwilio()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            auth = self.headers.get("Authorization", "")
            account = ""
            if auth.startswith("Basic "):
                account = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            record = Recorded(self.command, self.path.split("?", 1)[0], parse_qs(body, keep_blank_values=True), account)
            status, payload = fake._answer(record)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = _handle  # noqa: N815
        do_GET = _handle  # noqa: N815

        def log_message(self, *args: object) -> None:  # quiet: bodies hold test message text
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server


# ------------------------------------------------------------------ test helpers
TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT = "AC" + "0" * 32
FROM_NUMBER = "+15005550006"
PUBLIC = "https://hotline.example.org"  # the public URL Twilio signs (the service runs behind a proxy)


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send, computed by twilio's own RequestValidator."""
    from twilio.request_validator import RequestValidator

    return RequestValidator(token).compute_signature(url, params)


def signed_post(client, path: str, params: dict[str, str], token: str = TOKEN):  # type: ignore[no-untyped-def]
    """POST ``params`` to ``path`` the way Twilio does: form-encoded, signed over the public URL."""
    if path.startswith(PUBLIC):
        path = path[len(PUBLIC):]
    return client.post(path, data=params, headers={"X-Twilio-Signature": sign(PUBLIC + path, params, token)})


def twilio_environment(monkeypatch, fake: FakeTwilio) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", FROM_NUMBER)
    monkeypatch.setenv("TWILIO_API_BASE", fake.url)
    monkeypatch.setenv("HOTLINE_PUBLIC_BASE_URL", PUBLIC)
    from hotline.channels.sms import twilio_client
    from hotline.settings import reset_settings

    reset_settings()
    twilio_client.cache_clear()


def warm_models() -> None:
    """Load the triage and language models before the first webhook, as a running service has long
    done: the app warms up in a background thread, and a test's first message would otherwise wait
    for it past the SMS inline deadline (its reply would go by REST instead of TwiML)."""
    from hotline.conversation.core import ConversationCore

    ConversationCore.warm_up(None)  # type: ignore[arg-type]  # uses no instance state
