"""The labelled set and the detector's data files are well-formed and fit for purpose."""
from __future__ import annotations

import json
from collections import Counter

from hotline.language.languages import (
    DATA_DIR,
    DEFAULT_LANGUAGES,
    country_priors,
    load_yaml,
    profiles,
    word_index,
)
from hotline.language.evaluation import LABELLED_PATH
from hotline.language.text import count_words


def _rows() -> list[dict]:
    lines = LABELLED_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_labelled_set_shape() -> None:
    rows = _rows()
    assert len(rows) >= 1100
    per_lang = Counter(r["lang"] for r in rows)
    assert set(per_lang) == set(DEFAULT_LANGUAGES)
    assert max(per_lang.values()) <= 1.25 * min(per_lang.values())  # balanced over the twelve
    short = Counter(r["lang"] for r in rows if r["words"] <= 2)
    for lang in DEFAULT_LANGUAGES:
        assert short[lang] / per_lang[lang] >= 0.40, lang
    for row in rows:
        assert set(row) == {"text", "lang", "words"}
        assert row["words"] == count_words(row["text"]) >= 1, row


def test_labelled_set_has_no_contradictions() -> None:
    labels: dict[str, set[str]] = {}
    for row in _rows():
        labels.setdefault(row["text"].casefold(), set()).add(row["lang"])
    assert [t for t, ls in labels.items() if len(ls) > 1] == []
    assert len(labels) == len(_rows())  # no duplicates either


def test_every_language_has_data() -> None:
    for lang in DEFAULT_LANGUAGES:
        words = [w for w in (DATA_DIR / "words" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
                 if w and not w.startswith("#")]
        assert len(words) >= 150, lang
        assert lang in profiles()
    assert len(word_index()) > 2000


def test_profiles_scripts_and_markers() -> None:
    raw = load_yaml(DATA_DIR / "profiles.yml")
    assert {p.script for p in profiles().values()} == {"LATIN", "CYRILLIC", "ARABIC"}
    assert set(raw) == set(DEFAULT_LANGUAGES)
    assert "ї" in profiles()["uk"].markers
    assert "ы" in profiles()["ru"].markers
    assert "ъ" in profiles()["bg"].markers


def test_country_table_names_supported_languages_only() -> None:
    raw = load_yaml(DATA_DIR / "country_codes.yml")
    for code, langs in raw.items():
        assert str(code).isdigit() and 1 <= len(str(code)) <= 3
        assert set(langs) <= set(DEFAULT_LANGUAGES), code
    priors = country_priors()
    assert priors["40"][0] == "ro" and priors["380"][0] == "uk" and priors["359"] == ("bg",)
