"""Latency of the SMS channel end to end: signed Twilio webhooks through the real HTTP endpoint.

Starts the hotline with uvicorn on a free loopback port (tests/live_server.py), a recording stand-in
for Twilio's REST API (tests/twilio_fake.py, for replies that outlive the inline deadline) and, if
the Rasa environment and a trained model exist, the real Rasa server and action server the way the
test fixture does (tests/rasa_servers.py). Then it sends N signed SMS turns (default 200) from 20
senders in several languages, each a POST /twilio/sms signed with twilio's RequestValidator, and
measures the HTTP round trip. With Rasa up it also measures bare Rasa (POST /webhooks/rest/webhook
with the same texts) in the same run and prints the ratio: what the hotline adds on top of the
assistant (storage, encryption, triage, language detection, rendering, signature check).

    .venv/bin/python bench/sms_latency.py [--turns 200] [--no-rasa] [--json out.json]

A few warm-up turns (not counted) first: the service loads its triage and language models in the
background after start-up.
"""
from __future__ import annotations

import argparse
import inspect
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from live_server import live_hotline  # noqa: E402
from twilio_fake import ACCOUNT, FROM_NUMBER, TOKEN, sign, start_fake_twilio  # noqa: E402

# Ordinary first messages and follow-ups, as people write them (no keywords: those skip the
# assistant and would flatter the figures).
TEXTS = [
    "hello, I need some help", "what are my rights?", "can I get help without going to the police",
    "my boss keeps my passport", "I have to pay a debt to the man who brought me here", "tell me more",
    "buna, am nevoie de ajutor", "ce drepturi am?", "добрий день, мені потрібна допомога", "які в мене права?",
    "здравствуйте, что такое торговля людьми", "hola, necesito ayuda con mi trabajo", "bonjour, j'ai besoin d'aide",
    "ich brauche hilfe, mein chef zahlt nicht", "ciao, ho bisogno di aiuto", "dzień dobry, potrzebuję pomocy",
    "مرحبا أحتاج مساعدة", "is this confidential?", "do I need a lawyer", "where can I sleep tonight safely",
]
SENDERS = [f"+4473009{n:05d}" for n in range(20)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_ms": percentile(values, 50) * 1000, "p99_ms": percentile(values, 99) * 1000,
            "mean_ms": statistics.fmean(values) * 1000 if values else float("nan"),
            "max_ms": max(values) * 1000 if values else float("nan")}


def _fixture_function(module: Any, name: str) -> Any:
    fixture = getattr(module, name)
    wrapped = getattr(fixture, "__pytest_wrapped__", None)
    return wrapped.obj if wrapped is not None else getattr(fixture, "__wrapped__", fixture)


def _run_fixture(module: Any, name: str, opened: list[Any]) -> Any:
    """Run a session fixture of tests/rasa_servers.py (and the fixtures it needs) outside pytest."""
    function = _fixture_function(module, name)
    args = [_run_fixture(module, param, opened) for param in inspect.signature(function).parameters]
    generator = function(*args)
    value = next(generator)
    opened.append(generator)
    return value


def start_rasa() -> tuple[Any, list[Any]]:
    """(servers, fixture generators to close) through the test fixtures' own code, or (None, [])."""
    import rasa_servers

    opened: list[Any] = []
    try:
        return _run_fixture(rasa_servers, "rasa_servers", opened), opened
    except BaseException as exc:  # noqa: BLE001 - pytest.fail raises a BaseException subclass
        close_all(opened)
        print(f"Rasa not available ({type(exc).__name__}: {str(exc)[:200]}); measuring with Rasa down",
              file=sys.stderr)
        return None, []


def close_all(opened: list[Any]) -> None:
    for generator in reversed(opened):
        generator.close()


def sms_turns(base: str, turns: int, warmup: int) -> tuple[list[float], int]:
    url = base + "/twilio/sms"
    timings: list[float] = []
    late = 0
    with httpx.Client(trust_env=False, timeout=30) as client:
        for i in range(warmup + turns):
            params = {"MessageSid": f"SM{i:032d}", "AccountSid": ACCOUNT, "From": SENDERS[i % len(SENDERS)],
                      "To": FROM_NUMBER, "Body": TEXTS[i % len(TEXTS)], "NumMedia": "0"}
            headers = {"X-Twilio-Signature": sign(url, params)}
            started = time.perf_counter()
            response = client.post(url, data=params, headers=headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"turn {i}: HTTP {response.status_code}")
            if i >= warmup:
                timings.append(elapsed)
                late += "<Message>" not in response.text
    return timings, late


def bare_rasa(url: str, turns: int) -> list[float]:
    timings: list[float] = []
    with httpx.Client(trust_env=False, timeout=30) as client:
        for i in range(turns):
            body = {"sender": f"bench-{i % len(SENDERS)}", "message": TEXTS[i % len(TEXTS)],
                    "metadata": {"language": "en", "channel": "sms", "audience": "adult"}}
            started = time.perf_counter()
            client.post(url + "/webhooks/rest/webhook", json=body).raise_for_status()
            timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-rasa", action="store_true", help="measure with Rasa unreachable")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    fake, fake_server = start_fake_twilio()
    rasa, opened = (None, []) if args.no_rasa else start_rasa()
    results: dict[str, Any] = {"turns": args.turns, "rasa": bool(rasa)}
    try:
        env = {"TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_FROM_NUMBER": FROM_NUMBER,
               "TWILIO_API_BASE": fake.url}
        rasa_url = rasa.url if rasa else "http://127.0.0.1:9"
        if rasa:
            env["HOTLINE_ACTION_SERVER_URL"] = rasa.actions_url
        with tempfile.TemporaryDirectory(prefix="bench-sms-") as tmp:
            var = Path(tmp) / "var"
            var.mkdir()
            with live_hotline(var, rasa_url=rasa_url, **env) as base:
                timings, late = sms_turns(base, args.turns, args.warmup)
        results["hotline_sms"] = summary(timings)
        results["late_replies_by_rest"] = late
        if rasa:
            results["bare_rasa"] = summary(bare_rasa(rasa.url, args.turns))
            results["ratio_p50"] = results["hotline_sms"]["p50_ms"] / results["bare_rasa"]["p50_ms"]
            results["ratio_p99"] = results["hotline_sms"]["p99_ms"] / results["bare_rasa"]["p99_ms"]
    finally:
        close_all(opened)
        fake_server.shutdown()

    hs = results["hotline_sms"]
    print(f"SMS turns through POST /twilio/sms ({'Rasa up' if rasa else 'Rasa down'}): n={hs['n']} "
          f"p50={hs['p50_ms']:.0f} ms p99={hs['p99_ms']:.0f} ms mean={hs['mean_ms']:.0f} ms max={hs['max_ms']:.0f} ms; "
          f"answered late by REST: {results['late_replies_by_rest']}")
    if rasa:
        br = results["bare_rasa"]
        print(f"bare Rasa /webhooks/rest/webhook: n={br['n']} p50={br['p50_ms']:.0f} ms p99={br['p99_ms']:.0f} ms")
        print(f"ratio hotline/bare Rasa: p50 x{results['ratio_p50']:.2f}  p99 x{results['ratio_p99']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
