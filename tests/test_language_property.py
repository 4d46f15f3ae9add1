"""Property: any text at all gives an answer in the supported set (or None), never an exception."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.language.choice import parse_language_choice
from hotline.language.detect import detect_language
from hotline.language.languages import supported_languages

SUPPORTED = set(supported_languages())
_previous = st.sampled_from([None, *sorted(SUPPORTED), "xx", ""])
_country = st.one_of(st.none(), st.text(alphabet="+0123456789", max_size=6))
# Mix arbitrary Unicode with words from the supported alphabets, so the detector's deeper paths run.
_text = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(["ok", "STOP", "1", "😀", "buna", "ajutor", "мені", "помощ", "спасибо",
                              "مرحبا", "Maria", "si", "ë", "ß", "ъ", "ї", "x", "-", "'", "\u0301"]),
             max_size=8).map(" ".join),
)


@settings(max_examples=300, deadline=None)
@given(text=_text, previous=_previous, country=_country, hint=_previous)
def test_detect_never_fails(text: str, previous: str | None, country: str | None, hint: str | None) -> None:
    guess = detect_language(text, previous=previous, country_code=country, hint=hint)
    assert guess.lang is None or guess.lang in SUPPORTED
    assert 0.0 <= guess.confidence <= 1.0
    if guess.lang is None or guess.lang == previous:
        assert guess.switch is False


@settings(max_examples=300, deadline=None)
@given(text=_text, menu_open=st.booleans())
def test_choice_never_fails(text: str, menu_open: bool) -> None:
    assert parse_language_choice(text, menu_open=menu_open) in SUPPORTED | {None}
