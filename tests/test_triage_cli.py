"""The `hotline triage` console script through a real subprocess: JSON Lines in and out, order
kept, malformed lines answered with an error object, exit code 0."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOTLINE = ROOT / ".venv" / "bin" / "hotline"


def run_triage(stdin: str) -> subprocess.CompletedProcess:
    exe = [str(HOTLINE)] if HOTLINE.exists() else [sys.executable, "-m", "hotline"]
    return subprocess.run(exe + ["triage"], input=stdin, capture_output=True, text=True, timeout=240,
                          cwd=ROOT, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_cli_triage_jsonl_with_malformed_lines():
    lines = [
        json.dumps({"id": "a", "text": "they locked me in the room and he has a knife"}),
        "this is not json",
        json.dumps({"id": "b", "text": "mi-au luat pașaportul", "lang": "ro"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "c", "text": 42}),
        json.dumps({"id": "d", "text": "hello"}),
        json.dumps({"id": "e", "text": "допоможіть"}),
    ]
    proc = run_triage("\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(l) for l in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["id"] == "a" and out[0]["urgency"] == "P0"
    assert out[1] == {"id": None, "error": out[1]["error"]} and "malformed" in out[1]["error"]
    assert out[2]["id"] == "b" and out[2]["urgency"] == "P1" and "document_control" in out[2]["indicators"]
    assert out[2]["lang"] == "ro"
    assert out[3]["id"] is None and "error" in out[3]
    assert out[4]["id"] is None and "error" in out[4]
    assert out[5]["id"] == "d" and out[5]["urgency"] == "P3" and out[5]["child"] is False
    assert out[6]["id"] == "e" and out[6]["urgency"] in {"P0", "P1"}
    for rec in (out[0], out[2], out[5], out[6]):
        assert set(rec) >= {"id", "lang", "urgency", "child", "indicators", "reasons"}
    # nothing of the message text is echoed back
    assert "knife" not in proc.stdout and "pașaportul" not in proc.stdout


def test_cli_triage_empty_input_exits_zero():
    proc = run_triage("")
    assert proc.returncode == 0 and proc.stdout == ""
