"""Guess the language of one message, and whether it should change the conversation's language.

Short, informal, diacritic-less SMS text defeats any single detector (langdetect: 22% on single
English words, STACK-NOTES.md), so the guess combines independent signals, each of which is cheap:

1. **Neutral input** - digits, emoji, "ok", "STOP" and other SMS keywords, given names: no
   language at all, and never a switch (anchors-notes.md section 7.3).
2. **Script** - a script used by one supported language decides alone (Arabic); otherwise it
   narrows the candidates (Cyrillic: uk, ru, bg).
3. **Marker letters** - і ї є ґ are Ukrainian, ы э ё Russian, ъ ѝ Bulgarian, ă ș ț Romanian...
   (``data/profiles.yml``); only when present, since SMS often drops diacritics.
4. **Frequent words** - hand-written per-language lists (``data/words/<code>.txt``), matched without
   case or diacritics, each word's vote split between the languages that share it.
5. **lingua** (restricted to the supported languages) on every message, and seeded **langdetect**
   on messages of 3+ words, where it is reliable.
6. **Priors** - the conversation's current language, the caller's ``hint`` (web menu, browser
   locale) and the sender's country calling code, each weak: they tip near-ties only.

The weights below were set once by reasoning about each signal's strength and checked with
``hotline langid-eval`` on ``data/langid/labelled.jsonl`` (figures in data/langid/README.md).

Switching (the language is sticky): a message may change an established language only with strong
evidence - 3+ words or 20+ letters and a clear winner, or a change of script backed by a known
word. One or two words ("si", "da", "merci") never flip it. The 20-letter / 3-word threshold is
the one anchors-notes.md section 7.3 recommends.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from hotline.language import engines
from hotline.language.languages import (
    country_priors,
    given_names,
    marker_index,
    neutral_tokens,
    profiles,
    supported_languages,
    word_index,
)
from hotline.language.text import fold, script_of, words

# Signal weights (see module docstring). Each component is a distribution over the candidates.
@dataclass(frozen=True)
class Weights:
    """How much each signal counts. Zeroing one is how the evaluation measures what it adds
    (``hotline langid-eval --ablation``)."""

    lingua: float = 1.0
    langdetect: float = 0.6    # only for messages of LANGDETECT_MIN_WORDS+ words
    words: float = 1.2
    markers: float = 0.8
    previous: float = 0.25
    hint: float = 0.2
    country: float = 0.15


WEIGHTS = Weights()

LANGDETECT_MIN_WORDS = 3
LANGDETECT_FULL_WORDS = 6
SWITCH_MIN_WORDS = 3
SWITCH_MIN_LETTERS = 20
SWITCH_MIN_CONFIDENCE = 0.35
SWITCH_MIN_LEAD = 2.0
SET_MIN_CONFIDENCE = 0.4
WEAK_CONFIDENCE = 0.3      # below this, 1-2 unknown words get no language at all
SWITCH_MIN_KNOWN = 0.5


@dataclass(frozen=True)
class LanguageGuess:
    """The detector's answer for one message.

    ``lang`` is None when the message carries no usable language evidence. ``switch`` says whether
    the conversation should now use ``lang``: True to set a first language (no ``previous``) or to
    change ``previous``; always False when ``lang`` is None or equals ``previous``. ``reason`` is a
    short code for logs and tests (never message text).
    """

    lang: str | None
    confidence: float
    switch: bool
    reason: str = ""


def _none(reason: str) -> LanguageGuess:
    return LanguageGuess(lang=None, confidence=0.0, switch=False, reason=reason)


def _normalise(scores: dict[str, float], candidates: list[str]) -> dict[str, float]:
    total = sum(max(scores.get(c, 0.0), 0.0) for c in candidates)
    if total <= 0.0:
        return {}
    return {c: max(scores.get(c, 0.0), 0.0) / total for c in candidates}


def _is_name_only(original: list[str], folded: list[str]) -> bool:
    """Given names, or capitalised words no word list knows ("Ivan Petrov", "Marisol").

    A capitalised word the lists know ("Ajutor", autocapitalised) or one carrying a marker letter
    is evidence, not a name.
    """
    names, index, markers = given_names(), word_index(), marker_index()
    for word, f in zip(original, folded):
        if f in names:
            continue
        proper = word[:1].isupper() and f not in index and not any(ch.lower() in markers for ch in word)
        if not proper:
            return False
    return True


def _country_prior(country_code: str | None, candidates: list[str]) -> dict[str, float]:
    if not country_code:
        return {}
    code = country_code.strip().lstrip("+")
    if code.startswith("00"):
        code = code[2:]
    langs = [l for l in country_priors().get(code, ()) if l in candidates]
    # Most likely language first: weights 1, 1/2, 1/3...
    return _normalise({l: 1.0 / (i + 1) for i, l in enumerate(langs)}, candidates)


_VOWELS = set("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿăâîșțąęóëœ")


def _looks_mashed(word: str) -> bool:
    """A Latin-letter token no language writes: no vowel, a letter three times in a row, or two
    letters at most over four or more characters. Other scripts are never judged mashed."""
    if not word or not all("a" <= ch <= "z" or ch in _VOWELS for ch in word):
        return False
    if len(word) >= 3 and not any(ch in _VOWELS for ch in word):
        return True
    if any(word[i] == word[i + 1] == word[i + 2] for i in range(len(word) - 2)):
        return True
    return len(word) >= 4 and len(set(word)) <= 2


def detect_language(
    text: str,
    *,
    previous: str | None = None,
    country_code: str | None = None,
    hint: str | None = None,
) -> LanguageGuess:
    """Guess the language of ``text``: see :func:`detect_with_weights` (this uses :data:`WEIGHTS`)."""
    return detect_with_weights(text, WEIGHTS, previous=previous, country_code=country_code, hint=hint)


def without(signal: str) -> Weights:
    """:data:`WEIGHTS` with one signal switched off (for ablation)."""
    return replace(WEIGHTS, **{signal: 0.0})


def detect_with_weights(
    text: str,
    weights: Weights,
    *,
    previous: str | None = None,
    country_code: str | None = None,
    hint: str | None = None,
) -> LanguageGuess:
    """Guess the language of ``text`` (see the module docstring for the method and the rules).

    ``previous`` is the conversation's current (sticky) language, ``country_code`` the sender's
    E.164 calling code without "+" ("40", "380"), ``hint`` a language the channel suggests. None of
    them is ever stored or logged here.
    """
    supported = supported_languages()
    if previous not in supported:
        previous = None
    if hint not in supported:
        hint = None

    original = words(text or "")
    if not original:
        return _none("no-words")
    neutral = neutral_tokens()
    if all(fold(w) in neutral for w in original):
        return _none("neutral")
    # Once the message says more than "ok"/"STOP", every word is evidence ("help me" is English).
    content = original
    folded = [fold(w) for w in content]
    if _is_name_only(content, folded):
        return _none("name")

    letters = sum(len(w) for w in folded)
    if letters < 2:
        return _none("too-short")
    if all(_looks_mashed(f) for f in folded) and not _has_known_evidence(content, folded):
        return _none("mashed")  # "jjjj kkk", "hjhjhj": a pocket or a child at the keyboard

    script_letters: dict[str, int] = {}
    for word in content:
        for ch in word:
            script = script_of(ch)
            if script:
                script_letters[script] = script_letters.get(script, 0) + 1
    if not script_letters:
        return _none("no-letters")
    script, script_count = max(script_letters.items(), key=lambda kv: kv[1])
    candidates = [c for c in supported if profiles()[c].script == script]
    if not candidates:
        return _none("unsupported-script")
    script_share = script_count / max(1, sum(script_letters.values()))

    index = word_index()
    if len(candidates) == 1:
        lang = candidates[0]
        confidence = round(script_share, 3)
        combined = {lang: 1.0}
        reason = "script"
    else:
        from_text, from_priors = _score(content, folded, candidates, weights,
                                        previous=previous, hint=hint, country_code=country_code)
        text_total = sum(from_text.values())
        if text_total <= 0.0:
            return _none("no-evidence")
        if (len(content) <= 2 and max(from_text.values()) / text_total < WEAK_CONFIDENCE
                and not _has_known_evidence(content, folded)):
            # One or two words no list knows, and the text's statistics barely lean: "asdf".
            return _none("weak")
        combined = {c: from_text[c] + from_priors[c] for c in candidates}
        lang = max(candidates, key=lambda c: (combined[c], -candidates.index(c)))
        confidence = round(combined[lang] / sum(combined.values()), 3)
        reason = "combined"

    n_words, n_letters = _evidence(content, folded)
    own_hits = sum(1 for f in folded if lang in index.get(f, ()))
    switch = _should_switch(
        lang=lang, previous=previous, confidence=confidence, n_words=n_words,
        letters=n_letters, known_share=own_hits / len(folded), script=script,
        lead=combined[lang] / combined[previous] if combined.get(previous, 0.0) > 0 else float("inf"),
    )
    return LanguageGuess(lang=lang, confidence=confidence, switch=switch, reason=reason)


def _score(content: list[str], folded: list[str], candidates: list[str], weights: Weights, *,
           previous: str | None, hint: str | None, country_code: str | None,
           ) -> tuple[dict[str, float], dict[str, float]]:
    """Weighted sums of the text's signals and of the priors (each a distribution over
    ``candidates``), kept apart so that "is there enough evidence?" looks at the text alone."""
    components: list[tuple[float, dict[str, float]]] = []
    body = " ".join(content)
    components.append((weights.lingua, _normalise(engines.lingua_scores(body), candidates)))
    if len(content) >= LANGDETECT_MIN_WORDS:
        # langdetect is sharp (often 1.0) and often wrong on a few words, reliable on sentences
        # (STACK-NOTES.md: 22% on single English words, 99% on sentences): its say grows with
        # length, reaching full weight at LANGDETECT_FULL_WORDS words.
        span = LANGDETECT_FULL_WORDS - LANGDETECT_MIN_WORDS + 1
        ramp = min(1.0, (len(content) - LANGDETECT_MIN_WORDS + 1) / span)
        detected = _normalise(engines.langdetect_scores(body), candidates)
        components.append((weights.langdetect * ramp, detected))

    index = word_index()
    votes: dict[str, float] = {}
    word_hits = 0
    for f in folded:
        owners = [c for c in index.get(f, ()) if c in candidates]
        if owners:
            word_hits += 1
            for c in owners:
                votes[c] = votes.get(c, 0.0) + 1.0 / len(owners)
    if votes:
        # Scaled by the share of words explained: one shared word in a long message counts little.
        components.append((weights.words * word_hits / len(folded), _normalise(votes, candidates)))

    markers: dict[str, float] = {}
    marker_count = 0
    for word in content:
        for ch in word.lower():
            owners = [c for c in marker_index().get(ch, ()) if c in candidates]
            if owners:
                marker_count += 1
                for c in owners:
                    markers[c] = markers.get(c, 0.0) + 1.0 / len(owners)
    if markers:
        components.append((weights.markers * min(1.0, marker_count / 2), _normalise(markers, candidates)))

    priors: list[tuple[float, dict[str, float]]] = []
    if previous in candidates:
        priors.append((weights.previous, {previous: 1.0}))
    if hint in candidates:
        priors.append((weights.hint, {hint: 1.0}))
    country = _country_prior(country_code, candidates)
    if country:
        priors.append((weights.country, country))
    return _weighted_sum(components, candidates), _weighted_sum(priors, candidates)


def _weighted_sum(components: list[tuple[float, dict[str, float]]],
                  candidates: list[str]) -> dict[str, float]:
    total = {c: 0.0 for c in candidates}
    for weight, dist in components:
        for c, value in dist.items():
            total[c] += weight * value
    return total


def _has_known_evidence(content: list[str], folded: list[str]) -> bool:
    """Whether any word is in a frequent-word list or carries a marker letter."""
    index, markers = word_index(), marker_index()
    return any(f in index for f in folded) or any(ch.lower() in markers for w in content for ch in w)


def _evidence(original: list[str], folded: list[str]) -> tuple[int, int]:
    """(words, letters) that say something about the language: not given names, and not
    capitalised words that no word list knows (proper nouns: streets, towns, shops). An address
    such as "Str. Mihai Viteazu, Bucuresti" must not switch an English conversation."""
    index, names = word_index(), given_names()
    count = letters = 0
    for word, f in zip(original, folded):
        if f in names or (word[:1].isupper() and f not in index):
            continue
        count += 1
        letters += len(f)
    return count, letters


def _should_switch(*, lang: str, previous: str | None, confidence: float, n_words: int,
                   letters: int, known_share: float, script: str, lead: float) -> bool:
    """Whether this message may set or change the conversation's language (module docstring).

    ``lead`` is how many times more evidence the new language has than ``previous`` (which got
    the stickiness prior). ``known_share`` is the share of the message's words found in
    ``lang``'s frequent-word list: a real sentence is full of function words, while names,
    places, typos and transliterated text ("da", "spasibo") are not, so a change needs half the
    words to be known.
    """
    if previous is None:
        # Setting a first language: a usable guess backed by a known word, a second word or a
        # script of its own (the menu or the next message can still correct it).
        return confidence >= SET_MIN_CONFIDENCE and (n_words >= 2 or known_share > 0 or script != "LATIN")
    if lang == previous:
        return False
    if profiles()[previous].script != script and script != "LATIN":
        # Into a non-Latin script (Cyrillic, Arabic): strong evidence, but one unknown word may be
        # a name or a place. Into Latin is weaker: people transliterate Russian or Arabic.
        return n_words >= 2 or known_share > 0
    long_enough = n_words >= SWITCH_MIN_WORDS or letters >= SWITCH_MIN_LETTERS
    return (long_enough and confidence >= SWITCH_MIN_CONFIDENCE and lead >= SWITCH_MIN_LEAD
            and known_share >= SWITCH_MIN_KNOWN)
