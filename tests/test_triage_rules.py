"""Unit tests of the binding triage rules (TRIAGE.md) through the real engine, patterns and
classifier: nothing is mocked."""
from __future__ import annotations

import pytest

from hotline.triage.catalogue import CATALOGUE, TIERS
from hotline.triage.engine import TriageResult, combine, triage
from hotline.triage.lexicon import LexiconError, compile_pattern, load_all
from hotline.triage.normalize import skeleton

RANK = {t: i for i, t in enumerate(TIERS)}


def at_least(result: TriageResult, tier: str) -> bool:
    return RANK[result.urgency] <= RANK[tier]


@pytest.mark.parametrize("base, minimised", [
    ("my boss keeps my passport and i cant leave", "its fine, i agreed to it. my boss keeps my passport and i cant leave"),
    ("șeful mi-a luat pașaportul", "e alegerea mea, e ok. șeful mi-a luat pașaportul"),
    ("хозяин забрал паспорт", "все нормально, я сама согласилась. хозяин забрал паспорт"),
    ("he is hitting me right now", "its not that bad but he is hitting me right now"),
])
def test_minimising_never_lowers_the_tier(base, minimised):
    plain, with_min = triage(base), triage(minimised)
    assert RANK[with_min.urgency] <= RANK[plain.urgency]
    assert "minimising" in with_min.indicators


@pytest.mark.parametrize("text", [
    "I watched a documentary about trafficking where they took the girls' passports",
    "im writing an essay on forced labour for uni",
    "what is the penalty for human trafficking in germany?",
    "am văzut un film despre trafic de persoane",
    "пишу реферат про торговлю людьми для университета",
    "¿qué es la trata de personas?",
])
def test_mention_only_stays_p3(text):
    r = triage(text)
    assert r.urgency == "P3", (text, r.reasons)


def test_mention_context_covers_only_its_own_clause():
    r = triage("I saw a film about trafficking. But my boss took my passport and locks the door at night.")
    assert at_least(r, "P1") and "document_control" in r.indicators


@pytest.mark.parametrize("text", ["im 15 and i need help", "am 14 ani", "мне 15 лет", "j'ai 13 ans",
                                   "my teacher says i should ask you", "i'm a minor"])
def test_child_cue_sets_child(text):
    assert triage(text).child is True


def test_stated_adult_age_is_not_a_child():
    assert triage("i'm 24 and my boss took my passport").child is False


def test_durations_are_not_ages():
    assert triage("i escaped 2 years ago and still have nightmares").child is False
    assert triage("me escapé hace 2 años").child is False


def test_child_with_any_indicator_is_at_least_p1():
    adult = triage("i owe them for the trip")
    child = triage("im 15 and i owe them for the trip")
    assert child.child and at_least(child, "P1") and RANK[child.urgency] <= RANK[adult.urgency]


@pytest.mark.parametrize("text", ["help", "ajutor", "допоможіть", "pomogite", "ساعدوني", "ndihmë",
                                   "hilfe", "aiuto", "pomocy", "au secours", "помогнете", "sa3dni", "HEEELP"])
def test_one_word_cries_for_help_are_urgent(text):
    r = triage(text)
    assert at_least(r, "P1"), (text, r.reasons)


@pytest.mark.parametrize("text", ["hi", "thanks, bye", "thank you", "ok", "yes", "no", "good morning", "bonjour",
                                   "buna ziua", "привет", "hola", "ciao", "cześć", "مرحبا", "dobar dan", ""])
def test_greetings_stay_p3(text):
    r = triage(text)
    assert r.urgency == "P3" and r.indicators == [], (text, r.reasons)


@pytest.mark.parametrize("text", ["ne mogu uiti, oni zabrali pasport", "Не могу уйти, они забрали паспорт"])
def test_transliterated_cyrillic_matches_like_cyrillic(text):
    r = triage(text)
    assert {"movement_restriction", "document_control"} <= set(r.indicators), r.reasons


def test_missing_diacritics_and_typos_still_match():
    assert "document_control" in triage("mi-au luat pasaportul").indicators
    assert "document_control" in triage("they took my pasprt").indicators


def test_arabic_letter_variants_match():
    a = triage("أخذوا جوازي")
    b = triage("اخذوا جوازي")
    assert a.indicators == b.indicators and "document_control" in a.indicators


@pytest.mark.parametrize("text", ["he has a knife and says he will kill me", "i swallowed the packets and feel sick",
                                   "i want to kill myself", "they are moving us tonight", "не могу дышать",
                                   "m-au încuiat în cameră", "estoy sangrando mucho"])
def test_emergencies_are_p0(text):
    r = triage(text)
    assert r.urgency == "P0", (text, r.reasons)


def test_third_party_concern_without_danger_is_p2_but_p0_is_not_capped():
    concern = triage("I think my neighbour's cleaner can't leave the house and her boss keeps her passport")
    assert concern.urgency == "P2" and "third_party_concern" in concern.indicators
    emergency = triage("my neighbour is beating a girl right now, she is bleeding")
    assert emergency.urgency == "P0"


def test_retraction_is_itself_an_indicator():
    assert "retraction" in triage("forget what i said, i made it up").indicators


def test_combine_never_lowers():
    assert combine(None, "P2") == "P2"
    for prev in TIERS:
        for new in TIERS:
            assert RANK[combine(prev, new)] == min(RANK[prev], RANK[new])
    assert combine("P0", triage("thanks, bye")) == "P0"
    with pytest.raises(ValueError):
        combine("P9", "P1")


def test_conversation_with_retraction_keeps_its_tier():
    tier = None
    for msg in ["they took my passport and i cant leave", "forget it, i was joking", "ok bye"]:
        tier = combine(tier, triage(msg))
    assert tier == "P1"


def test_intent_ranking_is_an_extra_signal():
    r = triage("he is here", intent_ranking=[{"name": "unsafe_now", "confidence": 0.9}])
    assert r.urgency == "P0"
    c = triage("ok", intent_ranking=[{"name": "inform_child", "confidence": 0.95}])
    assert c.child is True
    low = triage("ok", intent_ranking=[{"name": "unsafe_now", "confidence": 0.2}, {"bad": "entry"}, "junk"])
    assert low.urgency == "P3"


def test_result_shape_and_json():
    r = triage("they took my passport", lang="en")
    d = r.to_dict()
    assert set(d) == {"lang", "urgency", "child", "indicators", "reasons"}
    assert d["urgency"] in TIERS and isinstance(d["reasons"], list)
    assert '"urgency"' in r.to_json()
    assert all(i in CATALOGUE for i in r.indicators)


def test_lang_falls_back_to_a_code():
    r = triage("mi-au luat pașaportul și nu mă lasă să plec")
    assert r.lang == "ro"
    assert triage("12345").lang in {"und"} | set(load_all())


def test_every_language_file_loads_with_all_lists_and_version():
    lexicons = load_all()
    assert set(lexicons) == {"en", "ro", "uk", "ru", "bg", "sq", "es", "fr", "de", "it", "pl", "ar"}
    for code, lex in lexicons.items():
        assert lex.version and lex.pattern_count > 100, code
        assert {"locked_in", "medical_emergency", "suicide_self_harm", "document_control"} <= set(lex.indicators), code


def test_pattern_compiler_rejects_bad_patterns():
    with pytest.raises(LexiconError):
        compile_pattern("(unbalanced", [], set())
    with pytest.raises(LexiconError):
        compile_pattern("word?", [], set())  # could match an empty message
    assert skeleton("Pașaport") == skeleton("pasaport")


def test_everyday_conversation_is_never_an_emergency() -> None:
    """Short everyday messages in a chat must not page the supervisor (the classifier once
    scored "tell me more" P0); a recognised benign intent with no indicator keeps them P3."""
    from hotline.triage.engine import triage as run

    for text in ("tell me more", "more", "no", "yes please", "ok thanks", "what are my rights", "hello"):
        assert run(text).urgency != "P0", text
    assert run("tell me more", intent_ranking=[{"name": "tell_more", "confidence": 0.95}]).urgency == "P3"
    # ...but an indicator still wins over a benign-looking intent
    assert run("tell me more, he is beating me now", intent_ranking=[{"name": "tell_more", "confidence": 0.95}]).urgency == "P0"
