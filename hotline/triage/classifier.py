"""The statistical half of triage: char n-gram TF-IDF + logistic regression.

Trained in memory from ``data/triage/train.jsonl`` on first use (well under 2 s on this machine,
so nothing is pickled to disk and nothing from disk is ever unpickled). Character n-grams over
the same skeleton the patterns use carry across typos, missing diacritics, transliteration and
mixed languages. The classifier only ever *raises* a tier (see engine.py): the curated patterns
stay the floor, so a badly trained model cannot hide an emergency the patterns see.
"""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from hotline.triage.catalogue import TIERS
from hotline.triage.normalize import skeleton

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "triage"
TRAIN_FILE = DATA_DIR / "train.jsonl"


@dataclass
class Prediction:
    tier_proba: dict[str, float]  # P0..P3 -> probability
    child_proba: float


def read_jsonl(path: Path) -> list[dict]:
    """Labelled rows; a broken line is an error (the data is ours and must be clean)."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path.name}:{n}: {exc}") from exc
    return rows


class TriageClassifier:
    """Two linear models over one feature space: urgency tier and child flag."""

    def __init__(self, rows: list[dict]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        texts = [skeleton(r["text"]) for r in rows]
        self.data_hash = hashlib.sha256("\n".join(json.dumps(r, sort_keys=True) for r in rows).encode()).hexdigest()[:16]
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=1,
                                          sublinear_tf=True, max_features=60000)
        x = self.vectorizer.fit_transform(texts)
        # One BLAS thread: on a busy 2-core host, lbfgs with a thread pool took 15 s instead of 0.6 s.
        with threadpool_limits(1):
            self.tier_model = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced")
            self.tier_model.fit(x, [r["urgency"] for r in rows])
            self.child_model = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced")
            self.child_model.fit(x, [bool(r["child"]) for r in rows])

    def predict(self, text: str) -> Prediction:
        x = self.vectorizer.transform([skeleton(text)])
        probs = self.tier_model.predict_proba(x)[0]
        tier_proba = {t: 0.0 for t in TIERS}
        for label, p in zip(self.tier_model.classes_, probs):
            tier_proba[str(label)] = float(p)
        child_classes = list(self.child_model.classes_)
        child_p = float(self.child_model.predict_proba(x)[0][child_classes.index(True)]) if True in child_classes else 0.0
        return Prediction(tier_proba, child_p)


_lock = threading.Lock()
_cached: TriageClassifier | None = None
_tried = False


def get_classifier() -> TriageClassifier | None:
    """The process-wide classifier, trained once; None when the labelled data is not shipped
    (then triage runs on patterns alone, which are the safety floor anyway)."""
    global _cached, _tried
    if _tried:
        return _cached
    with _lock:
        if not _tried:
            try:
                if TRAIN_FILE.exists():
                    _cached = TriageClassifier(read_jsonl(TRAIN_FILE))
            finally:
                _tried = True
    return _cached
