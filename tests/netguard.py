"""Network guards for the translation tests: any attempt to open a network connection is recorded
and fails, in-process (pytest fixture) and in subprocesses (a sitecustomize on PYTHONPATH, plus
proxies pointing at a closed port, plus ``unshare -n`` when running as root)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SITECUSTOMIZE = '''
import os, socket
_LOG = os.environ.get("NETGUARD_LOG")
_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

def _record(what):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(what + "\\n")

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _record("connect %r" % (address,))
        raise OSError("network disabled by the test guard")
    return _connect(self, address)

def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _record("connect_ex %r" % (address,))
        raise OSError("network disabled by the test guard")
    return _connect_ex(self, address)

def getaddrinfo(host, *args, **kwargs):
    _record("getaddrinfo %r" % (host,))
    raise socket.gaierror("name resolution disabled by the test guard")

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
'''

CLOSED_PROXY = "http://127.0.0.1:9"


class Attempts(list):
    """Network attempts seen by the in-process guard."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch):
    """Fail any in-process network attempt, and fail the test afterwards even if code swallowed it."""
    attempts = Attempts()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(("connect", address))
            raise OSError("network disabled by the test guard")
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(("connect_ex", address))
            raise OSError("network disabled by the test guard")
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        attempts.append(("getaddrinfo", host))
        raise socket.gaierror("name resolution disabled by the test guard")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts


def _unshare_works() -> bool:
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


UNSHARE = _unshare_works()


class GuardedRunner:
    """Runs commands with no network: guard sitecustomize, closed proxies, unshare -n if possible."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        self.log = folder / "attempts.log"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": str(self.folder), "NETGUARD_LOG": str(self.log),
            "http_proxy": CLOSED_PROXY, "https_proxy": CLOSED_PROXY, "HTTP_PROXY": CLOSED_PROXY,
            "HTTPS_PROXY": CLOSED_PROXY, "ALL_PROXY": CLOSED_PROXY, "all_proxy": CLOSED_PROXY,
            "NO_PROXY": "", "no_proxy": "",
        })
        env.update(extra)
        return env

    def run(self, args: list[str], timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
        prefix = ["unshare", "-n"] if UNSHARE else []
        return subprocess.run(prefix + args, env=self.env(**extra), capture_output=True, text=True,
                              timeout=timeout)

    def attempts(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []

    def hotline(self, *args: str, **extra: str) -> subprocess.CompletedProcess:
        script = Path(sys.executable).parent / "hotline"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "hotline"]
        return self.run([*command, *args], **extra)
