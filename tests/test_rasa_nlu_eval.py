"""scripts/nlu_eval.py's split and score (the parts that decide the published figures)."""
from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest
from sklearn.metrics import f1_score

pytestmark = pytest.mark.rasa
ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("nlu_eval", ROOT / "scripts" / "nlu_eval.py")
nlu_eval = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nlu_eval)  # type: ignore[union-attr]


def test_split_holds_out_every_fifth_example_per_intent_deterministically() -> None:
    examples = nlu_eval.read_nlu_file(ROOT / "data" / "nlu" / "en.yml")
    train, test = nlu_eval.split(examples, 5)
    again_train, again_test = nlu_eval.split(examples, 5)
    assert (train, test) == (again_train, again_test)
    for intent, texts in examples.items():
        held = [t for t, i in test if i == intent]
        assert held == texts[4::5]
        assert len(held) + len(train[intent]) == len(texts)
        assert not set(held) & set(train[intent])


def test_written_training_files_read_back_identically(tmp_path: Path) -> None:
    examples = nlu_eval.read_nlu_file(ROOT / "data" / "nlu" / "en.yml")
    path = tmp_path / "en.yml"
    nlu_eval.write_nlu(path, examples)
    assert nlu_eval.read_nlu_file(path) == examples


def test_macro_f1_matches_sklearn_over_the_gold_intents() -> None:
    rng = random.Random(7)
    labels = ["greet", "stop", "skip", "rights_health"]
    gold = [rng.choice(labels) for _ in range(300)]
    pred = [g if rng.random() < 0.7 else rng.choice(labels + ["nlu_fallback"]) for g in gold]
    expected = f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0)
    assert nlu_eval.macro_f1(gold, pred) == pytest.approx(expected)
    assert nlu_eval.macro_f1(gold, gold) == 1.0
    assert nlu_eval.macro_f1(["a", "b"], ["b", "a"]) == 0.0
