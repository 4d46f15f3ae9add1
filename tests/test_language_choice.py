"""parse_language_choice and menu_order: explicit choice by name, code or menu digit."""
from __future__ import annotations

from pathlib import Path

import pytest

from hotline.language import choice, languages
from hotline.language.choice import menu_order, name_table, parse_language_choice


def test_menu_order_is_the_contract_order() -> None:
    assert menu_order()[:12] == ["en", "ro", "uk", "ru", "bg", "sq", "es", "fr", "de", "it", "pl", "ar"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("romana", "ro"), ("română", "ro"), ("Romana", "ro"), ("ROMÂNĂ", "ro"),
        ("русский", "ru"), ("russkiy", "ru"), ("по-русски", "ru"), ("по русски пожалуйста", "ru"),
        ("українська", "uk"), ("українською будь ласка", "uk"), ("ukrainian", "uk"),
        ("arabic", "ar"), ("العربية", "ar"), ("بالعربي من فضلك", "ar"), ("عربي", "ar"),
        ("po polsku", "pl"), ("polski prosze", "pl"), ("Polish please", "pl"),
        ("english please", "en"), ("English!", "en"), ("in english pls", "en"),
        ("in romana te rog", "ro"), ("în română vă rog", "ro"),
        ("български", "bg"), ("на български моля", "bg"), ("bulgarian", "bg"),
        ("shqip", "sq"), ("ne shqip ju lutem", "sq"), ("albanian", "sq"),
        ("español por favor", "es"), ("espanol", "es"), ("castellano", "es"),
        ("français", "fr"), ("en francais svp", "fr"), ("french", "fr"),
        ("deutsch", "de"), ("auf deutsch bitte", "de"), ("german", "de"),
        ("italiano per favore", "it"), ("in italiano", "it"), ("italian", "it"),
        ("do you speak arabic?", "ar"), ("hablas español?", "es"),
        # ISO codes alone
        ("ro", "ro"), ("RU", "ru"), ("uk", "uk"), ("Ar", "ar"), (" pl ", "pl"),
    ],
)
def test_choices(text: str, lang: str) -> None:
    assert parse_language_choice(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", "hello", "I was in Romania", "no english", "my friend speaks russian",
        "i dont speak english", "english or romanian", "the romanian man took my passport",
        "ok", "yes", "3", "12", "ro ru", "help",
    ],
)
def test_not_choices(text: str) -> None:
    assert parse_language_choice(text) is None


def test_menu_digits_only_when_the_menu_is_open() -> None:
    order = menu_order()
    for number, code in enumerate(order, start=1):
        assert parse_language_choice(str(number), menu_open=True) == code
        assert parse_language_choice(str(number)) is None
    assert parse_language_choice("3", menu_open=True) == "uk"
    assert parse_language_choice(" 3. ", menu_open=True) == "uk"
    assert parse_language_choice("#12", menu_open=True) == "ar"
    assert parse_language_choice("٣", menu_open=True) == "uk"  # Arabic-Indic digit
    assert parse_language_choice("0", menu_open=True) is None
    assert parse_language_choice(str(len(order) + 1), menu_open=True) is None
    # Names still work while the menu is open.
    assert parse_language_choice("romana", menu_open=True) == "ro"


def test_every_language_is_choosable_by_its_names_and_names_are_unique() -> None:
    table = name_table()
    reachable = set(table.values())
    assert set(menu_order()) <= reachable
    # The YAML may not give one name to two languages (the table would silently keep the first).
    raw = languages.load_yaml(languages.DATA_DIR / "language_names.yml")["names"]
    seen: dict[tuple[str, ...], str] = {}
    for code, names in raw.items():
        for name in names:
            key = tuple(choice._tokens(name))
            assert seen.setdefault(key, code) == code, f"{name!r} names {seen[key]} and {code}"


def test_locale_meta_names_make_a_new_language_choosable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pt.yml").write_text("meta: {code: pt, name: Portuguese, native_name: Português}\n")
    monkeypatch.setenv("HOTLINE_LOCALES_DIR", str(tmp_path))
    languages.reset_caches()
    choice.reset_caches()
    try:
        assert parse_language_choice("português por favor") == "pt"
        assert parse_language_choice("portuguese") == "pt"
        assert parse_language_choice("13", menu_open=True) == "pt"
        assert parse_language_choice("pt") == "pt"
    finally:
        monkeypatch.delenv("HOTLINE_LOCALES_DIR")
        languages.reset_caches()
        choice.reset_caches()
    assert parse_language_choice("portuguese") is None
