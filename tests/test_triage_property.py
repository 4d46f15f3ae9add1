"""Property test: any unicode text gives a valid result and never raises."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.triage.catalogue import CATALOGUE, TIERS
from hotline.triage.engine import combine, triage

intents = st.lists(st.fixed_dictionaries({"name": st.sampled_from(["unsafe_now", "need_help", "inform_child",
                                                                   "greet", "report_concern"]),
                                          "confidence": st.floats(0, 1)}), max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=400), lang=st.one_of(st.none(), st.sampled_from(["en", "ro", "ar", "xx", ""])),
       ranking=st.one_of(st.none(), intents))
def test_any_text_gives_a_valid_result(text, lang, ranking):
    r = triage(text, lang=lang, intent_ranking=ranking)
    assert r.urgency in TIERS
    assert isinstance(r.child, bool)
    assert isinstance(r.lang, str) and r.lang
    assert all(i in CATALOGUE for i in r.indicators)
    assert len(r.indicators) == len(set(r.indicators))
    assert all(isinstance(x, str) for x in r.reasons)
    assert combine("P1", r) in ("P0", "P1")


@settings(max_examples=100, deadline=None)
@given(words=st.lists(st.sampled_from(["help", "passport", "boss", "ajutor", "паспорт", "film", "essay",
                                        "i'm 15", "its fine", "kill", "tonight", "جواز", "ok", "\u0000", "🙂"]),
                      max_size=12))
def test_adding_minimisers_never_lowers(words):
    text = " ".join(words)
    base = triage(text)
    more = triage(text + ". it's fine, i agreed to it, it's my choice")
    assert TIERS.index(more.urgency) <= TIERS.index(base.urgency)
