"""Session-scoped fixture running the real Rasa server and action server on free loopback ports.

Use it from any test file:

    from rasa_servers import rasa_action_server, rasa_servers  # noqa: F401  (tests/ is on sys.path)

    @pytest.mark.rasa
    def test_something(rasa_servers):
        replies = rasa_servers.send("conv-1", "hello")

The model is models/current; if there is none, scripts/train-model.sh trains it first (set
HOTLINE_RASA_RETRAIN=1 to run the script anyway, which retrains only if the inputs changed).
Each session gets its own SQLite tracker store in a temporary directory, so tests never touch
var/rasa/. Both processes are stopped at the end of the session. `rasa_action_server` alone
starts only the action server (seconds), for tests that call actions directly.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
RASA_VENV = Path(os.environ.get("RASA_VENV", ROOT / ".venv-rasa"))
RASA_BIN = RASA_VENV / "bin" / "rasa"
RASA_PYTHON = RASA_VENV / "bin" / "python"
CURRENT_MODEL = ROOT / "models" / "current"
START_TIMEOUT_S = float(os.environ.get("HOTLINE_RASA_START_TIMEOUT", 240))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_model() -> Path:
    """Path of the trained model, training it with scripts/train-model.sh when needed."""
    if os.environ.get("HOTLINE_RASA_RETRAIN") == "1" or not CURRENT_MODEL.exists():
        subprocess.run([str(ROOT / "scripts" / "train-model.sh")], cwd=ROOT, check=True)
    model = CURRENT_MODEL.resolve()
    if not model.is_file():
        raise RuntimeError(f"no trained model at {CURRENT_MODEL}")
    return model


def write_endpoints(path: Path, actions_port: int, tracker_db: Path) -> None:
    """Same shape as bot/endpoints.yml, with this session's ports and tracker file."""
    path.write_text(
        "action_endpoint:\n"
        f'  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        "tracker_store:\n"
        "  type: SQL\n"
        '  dialect: "sqlite"\n'
        f'  db: "{tracker_db}"\n',
        encoding="utf-8",
    )


@dataclass
class RasaServers:
    """Handles on the running servers, with the two calls the hotline makes."""

    url: str
    actions_url: str
    model: Path
    tracker_db: Path
    workdir: Path
    endpoints: Path
    start_seconds: float
    rasa_port: int
    actions_port: int
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: Dict[str, Path] = field(default_factory=dict)

    def send(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """POST /webhooks/rest/webhook; returns the bot's messages (custom payloads)."""
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        response = httpx.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def keys(self, sender: str, text: str) -> List[str]:
        """Message keys of the bot's reply, in order."""
        return [m["custom"]["key"] for m in self.send(sender, text)]

    def parse(self, text: str) -> Dict[str, Any]:
        response = httpx.post(f"{self.url}/model/parse", json={"text": text}, timeout=30)
        response.raise_for_status()
        return response.json()

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs.get(name)
        return path.read_text(errors="replace")[-chars:] if path and path.exists() else ""


def start_rasa(srv: RasaServers) -> None:
    """Start (or restart) the Rasa server of `srv` and wait until it has loaded the model."""
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    log = srv.logs.setdefault("rasa", srv.workdir / "rasa.log")
    srv.processes["rasa"] = subprocess.Popen(
        [str(RASA_BIN), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(srv.rasa_port),
         "--model", str(srv.model), "--endpoints", str(srv.endpoints),
         "--credentials", str(ROOT / "bot" / "credentials.yml")],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    _wait(srv, "rasa", f"{srv.url}/status", lambda r: bool(r.json().get("model_file")))


def stop_process(srv: RasaServers, name: str) -> None:
    """Stop one of our own processes (its own process group, started by us), SIGTERM then KILL."""
    proc = srv.processes.pop(name, None)
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _wait(srv: RasaServers, name: str, url: str, ready) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        proc = srv.processes[name]
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{srv.log_tail(name)}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200 and ready(response):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{name} not ready after {START_TIMEOUT_S:.0f} s:\n{srv.log_tail(name)}")


@dataclass
class ActionServer:
    """The action server alone (rasa-sdk with our actions), for tests that call actions directly."""

    url: str
    port: int
    workdir: Path
    process: subprocess.Popen
    log: Path


def _wait_http(proc: subprocess.Popen, log: Path, name: str, url: str, ready) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200 and ready(response):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{name} not ready after {START_TIMEOUT_S:.0f} s")


@pytest.fixture(scope="session")
def rasa_action_server() -> Iterator[ActionServer]:
    """`python -m actions` on a free loopback port for the whole session (a few seconds to start)."""
    if not RASA_PYTHON.exists():
        pytest.fail(f"Rasa environment missing ({RASA_PYTHON}); create it with scripts/setup-rasa-env.sh")
    workdir = Path(tempfile.mkdtemp(prefix="hotline-actions-"))
    port = _free_port()
    log = workdir / "actions.log"
    proc = subprocess.Popen([str(RASA_PYTHON), "-m", "actions", "--port", str(port)], cwd=ROOT,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    server = ActionServer(url=f"http://127.0.0.1:{port}", port=port, workdir=workdir, process=proc, log=log)
    try:
        _wait_http(proc, log, "action server", f"{server.url}/health", lambda r: r.json().get("status") == "ok")
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def rasa_servers(rasa_action_server: ActionServer) -> Iterator[RasaServers]:
    """The real Rasa server + action server with the trained model, for the whole session."""
    if not RASA_BIN.exists():
        pytest.fail(f"Rasa environment missing ({RASA_BIN}); create it with scripts/setup-rasa-env.sh")
    model = ensure_model()
    workdir = Path(tempfile.mkdtemp(prefix="hotline-rasa-"))
    actions_port, rasa_port = rasa_action_server.port, _free_port()
    endpoints = workdir / "endpoints.yml"
    tracker_db = workdir / "tracker.db"
    write_endpoints(endpoints, actions_port, tracker_db)
    srv = RasaServers(url=f"http://127.0.0.1:{rasa_port}", actions_url=rasa_action_server.url,
                      model=model, tracker_db=tracker_db, workdir=workdir, endpoints=endpoints,
                      start_seconds=0.0, rasa_port=rasa_port, actions_port=actions_port)
    srv.logs["actions"] = rasa_action_server.log
    started = time.monotonic()
    try:
        start_rasa(srv)
        srv.start_seconds = time.monotonic() - started
        yield srv
    finally:
        stop_process(srv, "rasa")
        shutil.rmtree(workdir, ignore_errors=True)
