"""The accuracy targets, measured on the labelled set against plain langdetect in the same run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.language.cli import eval_command
from hotline.language.evaluation import LABELLED_PATH, evaluate, load_rows, switch_stats
from hotline.language.languages import supported_languages


@pytest.fixture(scope="module")
def report():
    rows = load_rows(languages=supported_languages())
    return evaluate(rows, systems=("langdetect", "project"))


def test_targets_met(report) -> None:
    assert report.accuracy("project", bucket="3+") >= 0.97
    assert report.accuracy("project", bucket="1-2") >= 0.90
    assert report.target_failures("project") == []


def test_project_beats_plain_langdetect(report) -> None:
    for bucket in ("1-2", "3+"):
        assert report.accuracy("project", bucket=bucket) > report.accuracy("langdetect", bucket=bucket)


def test_no_language_is_left_behind(report) -> None:
    """Each of the twelve, not just the average: no language below 90% on short messages."""
    for lang in supported_languages()[:12]:
        assert report.accuracy("project", lang, "1-2") >= 0.88, lang
        assert report.accuracy("project", lang, "3+") >= 0.93, lang


def test_sticky_rule_on_the_labelled_set() -> None:
    rows = load_rows(languages=supported_languages())
    stats = switch_stats(rows, list(supported_languages()))
    assert stats.false_short.accuracy <= 0.01      # 1-2 words almost never switch
    assert stats.wrong.correct == 0                # a switch never goes to a wrong language
    assert stats.recall.accuracy >= 0.80           # clear 3+ word messages do switch


def test_cli_exits_non_zero_when_a_target_is_missed(tmp_path: Path) -> None:
    # Mislabel every row: the detector is right, so against these labels it misses everything.
    rows = [json.loads(line) for line in LABELLED_PATH.read_text(encoding="utf-8").splitlines()[:60]]
    wrong = {"en": "de", "de": "en"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(json.dumps({**r, "lang": wrong.get(r["lang"], "en")}) for r in rows),
                   encoding="utf-8")
    result = CliRunner().invoke(eval_command, ["--data", str(bad)])
    assert result.exit_code == 1
    assert "TARGET MISSED" in result.output


def test_cli_passes_on_the_labelled_set_subset(tmp_path: Path) -> None:
    # Clear, long messages in every language: the CLI prints the table and exits 0.
    rows = [json.loads(line) for line in LABELLED_PATH.read_text(encoding="utf-8").splitlines()]
    good = [r for r in rows if r["words"] >= 5][::6] + [
        {"text": t, "lang": l, "words": 1} for t, l in
        [("ajutor", "ro"), ("pomocy", "pl"), ("danke", "de"), ("спасибо", "ru"), ("дякую", "uk"),
         ("благодаря", "bg"), ("شكرا", "ar"), ("gracias", "es"), ("merci", "fr"), ("grazie", "it"),
         ("faleminderit", "sq"), ("thanks", "en")]
    ]
    data = tmp_path / "good.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in good), encoding="utf-8")
    result = CliRunner().invoke(eval_command, ["--data", str(data)])
    assert result.exit_code == 0, result.output
    for column in ("langdetect 1-2", "lingua 3+", "project 1-2", "x", "targets met"):
        assert column in result.output


def test_lingua_and_word_lists_each_earn_their_place() -> None:
    """The measurement behind using lingua: without it (or without the word lists), short
    messages are identified clearly worse."""
    short = [r for r in load_rows(languages=supported_languages()) if r.bucket == "1-2"]
    ablated = evaluate(short, systems=("project", "project-no-lingua", "project-no-words"))
    full = ablated.accuracy("project")
    assert ablated.accuracy("project-no-lingua") < full - 0.05
    assert ablated.accuracy("project-no-words") < full - 0.05
