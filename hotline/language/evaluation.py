"""Accuracy of the detectors on the project's labelled set (``data/langid/labelled.jsonl``).

Three systems run on the same rows in the same process: plain seeded langdetect (the baseline,
restricted to the supported languages and mapped to ISO codes), lingua alone (same restriction)
and the project detector. Rows are bucketed by length (1-2 words, 3+ words, counted by
:func:`hotline.language.text.count_words`). The project detector sees the text only, no
conversation, country or hint: the hardest case, and the one the targets are about.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hotline.language import engines
from hotline.language.detect import detect_language, detect_with_weights, without
from hotline.language.text import count_words

LABELLED_PATH = Path(__file__).resolve().parents[2] / "data" / "langid" / "labelled.jsonl"

# Targets from the issue: accuracy of the project detector over the supported languages.
TARGETS = {"3+": 0.97, "1-2": 0.90}

SYSTEMS: dict[str, Callable[[str], str | None]] = {
    "langdetect": engines.plain_langdetect,
    "lingua": engines.plain_lingua,
    "project": lambda text: detect_language(text).lang,
}

# Ablation: the project detector with one signal switched off, to show what each one adds.
ABLATIONS: dict[str, Callable[[str], str | None]] = {
    f"project-no-{signal}": (lambda text, w=without(signal): detect_with_weights(text, w).lang)
    for signal in ("lingua", "langdetect", "words", "markers")
}


@dataclass(frozen=True)
class Row:
    text: str
    lang: str
    words: int

    @property
    def bucket(self) -> str:
        return "1-2" if self.words <= 2 else "3+"


def load_rows(path: Path = LABELLED_PATH, languages: Iterable[str] | None = None) -> list[Row]:
    """Read the labelled set; ``words`` is recomputed so the buckets match the detector's counting."""
    wanted = set(languages) if languages is not None else None
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        if wanted is not None and data["lang"] not in wanted:
            continue
        rows.append(Row(text=data["text"], lang=data["lang"], words=count_words(data["text"])))
    return rows


@dataclass
class Tally:
    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class Report:
    """Per system: tallies per (language, bucket), per bucket, per language, overall; plus misses."""

    systems: list[str]
    languages: list[str]
    cells: dict[tuple[str, str, str], Tally] = field(default_factory=dict)
    misses: dict[str, list[tuple[Row, str | None]]] = field(default_factory=dict)

    def tally(self, system: str, lang: str = "*", bucket: str = "*") -> Tally:
        return self.cells.setdefault((system, lang, bucket), Tally())

    def accuracy(self, system: str, lang: str = "*", bucket: str = "*") -> float:
        return self.tally(system, lang, bucket).accuracy

    def target_failures(self, system: str = "project") -> list[str]:
        return [
            f"{bucket} words: {self.accuracy(system, bucket=bucket):.1%} < {target:.0%}"
            for bucket, target in TARGETS.items()
            if self.accuracy(system, bucket=bucket) < target
        ]


def evaluate(rows: list[Row], systems: Iterable[str] = tuple(SYSTEMS)) -> Report:
    names = list(systems)
    report = Report(systems=names, languages=sorted({r.lang for r in rows}))
    for name in names:
        predict = SYSTEMS.get(name) or ABLATIONS[name]
        report.misses[name] = []
        for row in rows:
            guess = predict(row.text)
            ok = guess == row.lang
            for lang in ("*", row.lang):
                for bucket in ("*", row.bucket):
                    cell = report.tally(name, lang, bucket)
                    cell.total += 1
                    cell.correct += ok
            if not ok:
                report.misses[name].append((row, guess))
    return report


def format_report(report: Report, order: list[str]) -> str:
    """A plain-text table: accuracy per language and bucket for each system, and ratios."""
    langs = [l for l in order if l in report.languages] + [l for l in report.languages if l not in order]
    lines = []
    header = f"{'lang':<6}" + "".join(f"{s + ' ' + b:>17}" for s in report.systems for b in ("1-2", "3+"))
    lines.append(header)
    for lang in langs + ["ALL"]:
        key = "*" if lang == "ALL" else lang
        cells = []
        for system in report.systems:
            for bucket in ("1-2", "3+"):
                tally = report.tally(system, key, bucket)
                cells.append(f"{tally.accuracy:>8.1%} ({tally.correct:>3}/{tally.total:<3})")
        lines.append(f"{lang:<6}" + "".join(f"{c:>17}" for c in cells))
    lines.append("")
    for bucket in ("1-2", "3+", "*"):
        label = "all" if bucket == "*" else f"{bucket} words"
        base = report.accuracy("langdetect", bucket=bucket) if "langdetect" in report.systems else 0.0
        parts = []
        for system in report.systems:
            acc = report.accuracy(system, bucket=bucket)
            ratio = f" (x{acc / base:.2f} vs langdetect)" if base and system != "langdetect" else ""
            parts.append(f"{system} {acc:.1%}{ratio}")
        lines.append(f"{label:<10} " + "; ".join(parts))
    lines.append("targets (project): " + ", ".join(f"{b} words >= {t:.0%}" for b, t in TARGETS.items()))
    return "\n".join(lines)


@dataclass
class SwitchStats:
    """How the sticky-language rule behaves on the labelled set.

    Each row is replayed as if the conversation's language were another language *of the same
    script* (the hard case: ro after it, uk after ru). A 3+ word message should switch to its own
    language (``recall``); a 1-2 word message should never switch (``false_short``).
    """

    recall: Tally = field(default_factory=Tally)
    wrong: Tally = field(default_factory=Tally)      # 3+ words: switched, but to a wrong language
    false_short: Tally = field(default_factory=Tally)


def switch_stats(rows: list[Row], languages: list[str]) -> SwitchStats:
    from hotline.language.languages import profiles

    scripts = profiles()
    stats = SwitchStats()
    for row in rows:
        others = [l for l in languages if l != row.lang and scripts[l].script == scripts[row.lang].script]
        if not others:
            continue  # Arabic: no other language shares its script
        guess = detect_language(row.text, previous=others[0])
        if row.bucket == "3+":
            stats.recall.total += 1
            stats.recall.correct += guess.switch and guess.lang == row.lang
            stats.wrong.total += 1
            stats.wrong.correct += guess.switch and guess.lang != row.lang
        else:
            stats.false_short.total += 1
            stats.false_short.correct += guess.switch
    return stats
