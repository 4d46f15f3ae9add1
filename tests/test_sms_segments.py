"""SMS segment counting and trimming: exact edges by hand, invariants by hypothesis."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline import sms_segments as sms

GSM_BASIC_CHARS = sorted(sms.GSM7_BASIC)
GSM_EXT_CHARS = sorted(sms.GSM7_EXTENSION)


# ------------------------------------------------------------------ exact edges
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("ж" * 70, 1),
        ("ж" * 71, 2),
        ("ж" * 134, 2),
        ("ж" * 135, 3),
        ("ж" * 201, 3),
        ("ж" * 202, 4),
    ],
)
def test_segment_edges(text: str, expected: int) -> None:
    assert sms.segment_count(text) == expected


def test_extension_characters_cost_two_septets() -> None:
    assert sms.encoding("{}") == sms.GSM7
    assert sms.units("€") == 2
    assert sms.segment_count("€" * 80) == 1  # 160 septets
    assert sms.segment_count("€" * 80 + "a") == 2


def test_escape_sequence_never_split_across_segments() -> None:
    # 152 plain septets then a two-septet character: it cannot share the first segment.
    text = "a" * 152 + "€" + "a" * 10
    parts = sms.split_segments(text)
    assert parts[0] == "a" * 152
    assert parts[1].startswith("€")


def test_one_non_gsm_character_switches_to_ucs2() -> None:
    assert sms.encoding("Hello") == sms.GSM7
    assert sms.encoding("Hello ’") == sms.UCS2  # a curly apostrophe is not GSM-7
    assert sms.encoding("Bună ziua") == sms.UCS2  # ă is not in GSM-7
    assert sms.encoding("Grüße") == sms.GSM7  # ü and ß are


def test_emoji_take_two_units_and_are_not_split() -> None:
    assert sms.units("😀") == 2
    assert sms.segment_count("😀" * 35) == 1  # 70 units
    assert sms.segment_count("😀" * 35 + "a") == 2
    text = "a" * 66 + "😀"  # 68 units: two segments, the pair cannot straddle them
    assert [len(p) for p in sms.split_segments(text + "b" * 3)] == [66, 4]


def test_segment_info_reports_capacity() -> None:
    info = sms.segment_info("a" * 200)
    assert (info.encoding, info.units, info.segments, info.per_segment) == (sms.GSM7, 200, 2, 153)
    assert sms.segment_info("ж").per_segment == 70


# ------------------------------------------------------------------ trimming
def test_trim_keeps_whole_sentences() -> None:
    sentence = "You should not be punished for what you were made to do. "
    text = sentence * 12
    out = sms.trim_to_segments(text, 3)
    assert sms.segment_count(out) <= 3
    assert out.endswith("to do.")
    assert text.startswith(out)


def test_trim_falls_back_to_words_with_marker() -> None:
    text = "word " * 200  # no sentence boundary
    out = sms.trim_to_segments(text, 1)
    assert out.endswith("word...")
    assert sms.segment_count(out) == 1


def test_trim_cuts_characters_when_no_break_exists() -> None:
    out = sms.trim_to_segments("x" * 1000, 2)
    assert out == "x" * 306


def test_trim_handles_arabic_question_mark() -> None:
    text = "هل أنت بخير؟ " + "نص طويل " * 100
    out = sms.trim_to_segments(text, 1)
    assert out == "هل أنت بخير؟"


def test_trim_returns_text_that_already_fits_unchanged() -> None:
    assert sms.trim_to_segments("Done.", 1) == "Done."


def test_trim_rejects_zero_segments() -> None:
    with pytest.raises(ValueError):
        sms.trim_to_segments("x", 0)


# ------------------------------------------------------------------ properties
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM_BASIC_CHARS),
        st.sampled_from(GSM_EXT_CHARS),
        st.sampled_from(list("ăîșțжяعربي😀🙂 .!?\n")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=700,
)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_split_is_lossless_and_each_part_fits(text: str) -> None:
    parts = sms.split_segments(text)
    assert "".join(parts) == text
    assert len(parts) == sms.segment_count(text)
    enc = sms.encoding(text)
    cap = sms.SINGLE_CAPACITY[enc] if len(parts) == 1 else sms.MULTI_CAPACITY[enc]
    for part in parts:
        assert sum(sms._char_units(ch, enc) for ch in part) <= cap
        assert part  # no empty segment


@settings(max_examples=300, deadline=None)
@given(texts)
def test_count_is_at_least_the_ceiling_bound(text: str) -> None:
    n = sms.units(text)
    enc = sms.encoding(text)
    if n == 0:
        expected_min = 0
    elif n <= sms.SINGLE_CAPACITY[enc]:
        expected_min = 1
    else:
        expected_min = math.ceil(n / sms.MULTI_CAPACITY[enc])
    assert sms.segment_count(text) >= expected_min
    # Greedy packing wastes at most one unit a segment (a split escape or pair).
    if n > sms.SINGLE_CAPACITY[enc]:
        assert sms.segment_count(text) <= math.ceil(n / (sms.MULTI_CAPACITY[enc] - 1))


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=1, max_value=4))
def test_trim_always_fits_and_is_a_prefix(text: str, limit: int) -> None:
    out = sms.trim_to_segments(text, limit)
    assert sms.segment_count(out) <= limit
    body = out[: -len("...")] if out.endswith("...") and not text.startswith(out) else out
    assert text.startswith(body)
    if sms.fits(text, limit):
        assert out == text


@settings(max_examples=200, deadline=None)
@given(texts, st.integers(min_value=0, max_value=700))
def test_prefix_never_costs_more(text: str, cut: int) -> None:
    assert sms.segment_count(text[:cut]) <= sms.segment_count(text)
