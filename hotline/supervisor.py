"""`hotline serve`: the whole system in one command.

Starts the Rasa server and the action server on loopback (from Rasa's own virtual environment),
then the hotline FastAPI service in this process. A child that dies is reported and restarted
with back-off; Ctrl-C (or SIGTERM) stops every process it started. The hotline keeps answering
while Rasa starts or restarts: triage and the safety reply do not depend on it.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from hotline.privacy.logging import configure_logging
from hotline.settings import REPO_ROOT, get_settings

log = logging.getLogger("hotline.serve")
RASA_VENV = Path(os.environ.get("HOTLINE_RASA_VENV", REPO_ROOT / ".venv-rasa"))


def current_model() -> Path | None:
    """The model named by models/current (written by scripts/train-model.sh)."""
    pointer = REPO_ROOT / "models" / "current"
    if pointer.is_symlink() or pointer.is_file():
        target = pointer.resolve() if pointer.is_symlink() else REPO_ROOT / pointer.read_text().strip()
        if target.is_file():
            return target
        alt = Path(pointer.read_text().strip()) if pointer.is_file() else target
        return alt if alt.is_file() else None
    return None


def ensure_model() -> Path:
    model = current_model()
    if model is None:
        click.echo("No trained model yet: training one now (scripts/train-model.sh)...")
        subprocess.run(["bash", str(REPO_ROOT / "scripts" / "train-model.sh")], check=True, cwd=REPO_ROOT)
        model = current_model()
    if model is None:
        raise click.ClickException("training did not produce models/current")
    return model


def rasa_endpoints(action_port: int) -> Path:
    """The endpoints file for this run (bot/README.md): the SQLite tracker under the configured var
    dir, where ``hotline.assistant.tracker`` erases from, or PostgreSQL when
    ``HOTLINE_RASA_TRACKER_URL`` is set (bot/endpoints.postgres.yml reads it from the environment)."""
    if os.environ.get("HOTLINE_RASA_TRACKER_URL"):
        return REPO_ROOT / "bot" / "endpoints.postgres.yml"
    var = get_settings().var_dir / "rasa"
    var.mkdir(parents=True, exist_ok=True)
    path = var / "endpoints.yml"
    path.write_text(
        "# Written by `hotline serve` from bot/endpoints.yml's shape; edit that file, not this one.\n"
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{var / "tracker.db"}"\n')
    return path


def rasa_command(model: Path, port: int, endpoints: Path) -> list[str]:
    return [str(RASA_VENV / "bin" / "rasa"), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port),
            "--model", str(model), "--endpoints", str(endpoints), "--credentials", "bot/credentials.yml"]


def action_server_command(port: int) -> list[str]:
    return [str(RASA_VENV / "bin" / "python"), "-m", "actions", "--host", "127.0.0.1", "--port", str(port)]


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    last_exit: int | None = field(default=None)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logfile = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child process
        self.process = subprocess.Popen(self.command, cwd=REPO_ROOT, env=self.env, stdout=logfile,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()
        log.info("started %s (pid %s)", self.name, self.process.pid)

    def stop(self, timeout: float = 10.0) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Supervisor:
    """Keeps the children running until told to stop."""

    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def start(self) -> None:
        for child in self.children:
            child.start()
        self._thread.start()

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for child in self.children:
                proc = child.process
                if proc is None or proc.poll() is None:
                    continue
                child.last_exit = proc.returncode
                child.restarts += 1
                delay = min(30, 2 ** min(child.restarts, 5))
                log.error("%s exited with code %s; restarting in %ss (restart #%d, see %s)",
                          child.name, proc.returncode, delay, child.restarts, child.log_path)
                if self._stopping.wait(delay):
                    return
                child.start()

    def stop(self) -> None:
        self._stopping.set()
        for child in self.children:
            child.stop()
        log.info("stopped %s", ", ".join(c.name for c in self.children))


def build_children(rasa_port: int, action_port: int) -> list[Child]:
    settings = get_settings()
    model = ensure_model()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    env.update({"HOTLINE_VAR_DIR": str(settings.var_dir), "PYTHONUNBUFFERED": "1",
                "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "RASA_TELEMETRY_ENABLED": "false",
                "HOTLINE_RASA_ACTIONS_URL": f"http://127.0.0.1:{action_port}/webhook"})
    endpoints = rasa_endpoints(action_port)
    logs = settings.var_dir / "log"
    return [
        Child("action server", action_server_command(action_port), env, logs / "actions.log"),
        Child("rasa", rasa_command(model, rasa_port, endpoints), env, logs / "rasa.log"),
    ]


class _Server:
    """uvicorn's Server, except that Ctrl-C/SIGTERM end ``run()`` normally instead of being
    re-raised afterwards (uvicorn re-raises captured signals, which would kill this process before
    it stops Rasa and the action server)."""

    def __new__(cls, config):  # type: ignore[no-untyped-def]
        import contextlib

        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self):  # type: ignore[no-untyped-def, override]
                previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
                try:
                    yield
                finally:
                    for sig, handler in previous.items():
                        signal.signal(sig, handler)

        return Server(config)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the hotline service.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--rasa-port", default=5005, show_default=True, type=int)
@click.option("--action-port", default=5055, show_default=True, type=int)
@click.option("--no-bot", is_flag=True, help="Do not start Rasa (the hotline still triages and answers safely).")
def serve_command(host: str, port: int, rasa_port: int, action_port: int, no_bot: bool) -> None:
    """Start Rasa, the action server and the hotline service; Ctrl-C stops them all."""
    import uvicorn

    configure_logging()
    os.environ["HOTLINE_RASA_URL"] = f"http://127.0.0.1:{rasa_port}"
    os.environ["HOTLINE_ACTION_SERVER_URL"] = f"http://127.0.0.1:{action_port}"
    from hotline.settings import reset_settings

    reset_settings()
    supervisor = Supervisor([] if no_bot else build_children(rasa_port, action_port))
    supervisor.start()
    from hotline.app import create_app

    config = uvicorn.Config(create_app(), host=host, port=port, access_log=False, log_config=None,
                            proxy_headers=False, ws="websockets")
    server = _Server(config)
    click.echo(f"Hotline: open http://{host}:{port}/  (staff: http://{host}:{port}/staff)  Ctrl-C stops everything.")
    try:
        server.run()
    finally:
        supervisor.stop()
    sys.exit(0)
