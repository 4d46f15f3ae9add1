"""Run the real hotline service (uvicorn, real sockets) in a subprocess for browser and HTTP tests."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from conftest import free_port

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def live_hotline(var_dir: Path, rasa_url: str = "http://127.0.0.1:9", start_timeout: float = 240,
                 **env: str) -> Iterator[str]:
    """Start ``uvicorn hotline.app:create_app`` on a free loopback port; yields its base URL once it
    answers (start-up loads the triage and language models: allow for a busy machine)."""
    port = free_port()
    environment = {**os.environ, "HOTLINE_VAR_DIR": str(var_dir), "HOTLINE_RASA_URL": rasa_url,
                   "HOTLINE_ACTION_SERVER_URL": "http://127.0.0.1:9",
                   "HOTLINE_SECRET_KEY": "live-test-secret", **env}
    for name in ("HOTLINE_DATABASE_URL", "HOTLINE_REDIS_URL"):
        if name not in env:
            environment.pop(name, None)
    log = open(var_dir.parent / f"hotline-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "hotline.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"], cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"hotline exited: see {log.name}")
            try:
                if httpx.get(base + "/healthz", timeout=1, trust_env=False).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"hotline did not start in {start_timeout:.0f} s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never Playwright's own browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
