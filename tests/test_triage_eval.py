"""The held-out evaluation must meet the four targets, and the labelled data must keep the
shape the brief requires (sizes, languages, tiers and child cases everywhere)."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from hotline.triage.classifier import DATA_DIR, read_jsonl
from hotline.triage.evaluate import evaluate

LANGS = {"en", "ro", "uk", "ru", "bg", "sq", "es", "fr", "de", "it", "pl", "ar"}
ROOT = Path(__file__).resolve().parents[1]


def test_labelled_data_shape():
    train, test = read_jsonl(DATA_DIR / "train.jsonl"), read_jsonl(DATA_DIR / "test.jsonl")
    assert len(train) + len(test) >= 720 and len(test) >= 240
    ids = [r["id"] for r in train + test]
    assert len(ids) == len(set(ids))
    assert not {r["text"] for r in train} & {r["text"] for r in test}, "a test row is also in train"
    per_lang = Counter(r["lang"] for r in train + test)
    assert set(per_lang) == LANGS and min(per_lang.values()) >= 50
    for lang in LANGS:
        rows = [r for r in test if r["lang"] == lang]
        assert {r["urgency"] for r in rows} == {"P0", "P1", "P2", "P3"}, lang
        assert any(r["child"] for r in rows), lang
    for r in train + test:
        assert set(r) == {"id", "text", "lang", "urgency", "child", "kind"}


def test_heldout_targets_pass():
    rep = evaluate("test")
    failing = {k: v for k, v in rep.targets.items() if not v["pass"]}
    assert not failing, failing
    assert rep.metrics["under_triage_rate"] <= 0.05


def test_eval_command_json_and_exit_code():
    exe = ROOT / ".venv" / "bin" / "hotline"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "hotline"]
    proc = subprocess.run(cmd + ["triage-eval", "--split", "test", "--json"], capture_output=True, text=True,
                          timeout=280, cwd=ROOT)
    data = json.loads(proc.stdout)
    assert proc.returncode == (0 if data["passed"] else 1)
    assert set(data["per_language"]) == LANGS
    assert set(data["targets"]) == {"p0_recall", "p0p1_recall", "p3_to_p0_rate", "child_recall"}
