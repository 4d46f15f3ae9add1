"""Latency of a web chat turn through the whole system against bare Rasa, in the same run.

Starts `hotline serve` (Rasa, action server, hotline) on free loopback ports with a temporary var
dir, then sends the same messages (a) straight to Rasa's REST webhook and (b) through the hotline's
web endpoint (which also stores, settles the language, triages and renders), and prints p50/p95 of
each and their ratio. Also times the P0 path with Rasa stopped (`--no-bot`), the safety net's case.

    .venv/bin/python bench/turn_latency.py [--turns 200]
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ["hello", "what are my rights", "do I have to go to the police", "tell me more",
            "buna, am nevoie de ajutor", "можу я отримати адвоката?", "¿necesito papeles para recibir ayuda?",
            "thanks", "is this confidential", "I want to go home"]
DANGER = ["he is hitting me right now", "m-a inchis in camera si ma bate", "они забрали паспорт и бьют нас"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def start(no_bot: bool) -> tuple[subprocess.Popen[bytes], str, str]:
    port, rasa_port, action_port = free_port(), free_port(), free_port()
    var = tempfile.mkdtemp(prefix="hotline-bench-")
    env = {**os.environ, "HOTLINE_VAR_DIR": var}
    cmd = [str(ROOT / ".venv/bin/hotline"), "serve", "--port", str(port), "--rasa-port", str(rasa_port),
           "--action-port", str(action_port)] + (["--no-bot"] if no_bot else [])
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base, rasa = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{rasa_port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            health = httpx.get(base + "/healthz", timeout=2, trust_env=False).json()
            if no_bot or (health["parts"]["rasa"]["ok"] and health["parts"]["action_server"]["ok"]):
                return proc, base, rasa
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    sys.exit("the system did not come up in 300 s")


def web_turns(client: httpx.Client, base: str, texts: list[str]) -> list[float]:
    conv = client.post(base + "/api/conversations", json={}).json()
    auth = {"Authorization": "Bearer " + conv["token"]}
    times = []
    for text in texts:
        began = time.perf_counter()
        client.post(f"{base}/api/conversations/{conv['id']}/messages", json={"text": text}, headers=auth).raise_for_status()
        times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    texts = [MESSAGES[i % len(MESSAGES)] for i in range(args.turns)]
    client = httpx.Client(trust_env=False, timeout=30)

    proc, base, rasa = start(no_bot=False)
    try:
        for text in MESSAGES:  # warm both paths
            client.post(rasa + "/webhooks/rest/webhook", json={"sender": "warm", "message": text})
        web_turns(client, base, MESSAGES)
        bare = []
        for i, text in enumerate(texts):
            began = time.perf_counter()
            client.post(rasa + "/webhooks/rest/webhook", json={"sender": f"bench-{i // 10}", "message": text}).raise_for_status()
            bare.append((time.perf_counter() - began) * 1000)
        full = []
        for i in range(0, len(texts), 10):
            full.extend(web_turns(client, base, texts[i:i + 10]))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)

    proc, base, _ = start(no_bot=True)
    try:
        web_turns(client, base, DANGER)
        p0 = []
        for i in range(0, max(30, args.turns // 4), len(DANGER)):
            p0.extend(web_turns(client, base, DANGER))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)

    print(f"turns: {len(texts)} (machine load {os.getloadavg()[0]:.1f})")
    print(f"bare Rasa REST webhook      p50 {pct(bare, 50):7.1f} ms  p95 {pct(bare, 95):7.1f} ms")
    print(f"hotline web turn (full)     p50 {pct(full, 50):7.1f} ms  p95 {pct(full, 95):7.1f} ms")
    print(f"ratio full/bare             p50 {pct(full, 50) / pct(bare, 50):7.2f}x   p95 {pct(full, 95) / pct(bare, 95):7.2f}x")
    print(f"P0 turn with Rasa stopped   p50 {pct(p0, 50):7.1f} ms  p95 {pct(p0, 95):7.1f} ms  max {max(p0):.1f} ms (budget 2000 ms)")


if __name__ == "__main__":
    main()
