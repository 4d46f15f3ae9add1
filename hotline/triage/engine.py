"""Triage engine: urgency tier, child flag, indicators and reasons for one inbound message.

Three signals, combined so that each can only push the tier *up*:

1. curated patterns of every language (``patterns/<lang>.yml``), matched on every message
   whatever its language, because people mix languages and detection fails on short text;
2. a char n-gram classifier trained on ``data/triage/train.jsonl`` (classifier.py);
3. optionally Rasa's intent ranking (unsafe_now, need_help, inform_child, report_concern).

Binding rules (docs/TRIAGE-ENGINE.md, /work/shared/domain/TRIAGE.md): when in doubt the higher
tier; minimising never lowers; child cues set the child flag and a child with any indicator is
at least P1 [S002:L173, S001 L1153-1155]; words that only mention the subject (a film, an essay,
a question about penalties) are not indicators. Pure: no I/O after the first load, no network.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from hotline.triage.catalogue import CATALOGUE, TIER_RANK, more_urgent
from hotline.triage.classifier import get_classifier
from hotline.triage.lexicon import LanguageLexicon, load_all
from hotline.triage.normalize import clauses, skeleton
from hotline.triage.typos import correct

# Classifier thresholds (set by cross-validation on the train split only, see TRIAGE-ENGINE.md).
CLF_P0 = 0.45        # p(P0) at or above -> P0
CLF_P0P1 = 0.60      # p(P0)+p(P1) at or above -> at least P1
CLF_P3_MAX = 0.20    # p(P3) below this -> at least P2
CLF_CHILD = 0.60     # p(child) at or above -> child
INTENT_MIN = 0.60    # Rasa intent confidence that counts as a signal
# Conversational intents that, recognised with high confidence and with no indicator pattern in the
# message, mean the classifier's n-gram guess is noise ("tell me more" once scored P0).
BENIGN_INTENTS = frozenset({"tell_more", "affirm", "deny", "greet", "goodbye", "thank", "skip", "ask_rights",
                            "bot_challenge", "change_language", "out_of_scope", "stop"})
BENIGN_MIN = 0.80
# The classifier alone may call P0 only on a message with at least this many words: short danger
# messages ("he beats me", "ajutor") are the patterns' job, and short everyday ones look alike.
MIN_WORDS_FOR_CLASSIFIER_P0 = 4
SHORT_MESSAGE_WORDS = 4
MIN_WORDS_FOR_CLASSIFIER = 2


@dataclass
class TriageResult:
    """What triage tells the hotline about one message. A flag for staff, never a ruling."""

    lang: str
    urgency: str
    child: bool
    indicators: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def combine(previous: str | None, new: "str | TriageResult") -> str:
    """Conversation tier after a new message: the more urgent of the two, never lower
    (re-assessed every turn, and a later 'forget it' keeps the earlier flag [S002:L211, L462])."""
    tier = new.urgency if isinstance(new, TriageResult) else new
    if tier not in TIER_RANK:
        raise ValueError(f"unknown tier {tier!r}")
    if previous is None:
        return tier
    if previous not in TIER_RANK:
        raise ValueError(f"unknown tier {previous!r}")
    return more_urgent(previous, tier)


@dataclass
class _Hit:
    indicator: str
    lang: str
    pattern: str


def _search(lex: LanguageLexicon, kind: str, padded: str):
    compiled = lex.lists.get(kind)
    return compiled.search(padded) if compiled else None


def _pad(s: str) -> str:
    return f" {s} "


def _ages(lexicons: dict[str, LanguageLexicon], padded: str) -> list[tuple[int, str, str]]:
    """Ages stated with an age cue ('I'm 15', 'am 15 ani', 'мне 15'), with language and pattern."""
    found = []
    for code, lex in lexicons.items():
        cl = lex.lists.get("child_cues")
        if cl is None:
            continue
        for m in cl.regex.finditer(padded):
            for name, value in m.groupdict().items():
                if name.startswith("age") and value is not None:
                    found.append((int(value), code, cl.sources[int(m.lastgroup[1:])]))
    return found


def _match_indicators(lexicons: dict[str, LanguageLexicon], padded: str) -> list[_Hit]:
    hits = []
    for code, lex in lexicons.items():
        for name, compiled in lex.indicators.items():
            found = compiled.search(padded)
            if found:
                hits.append(_Hit(name, code, found[0]))
    return hits


def _without_minimisers(lexicons: dict[str, LanguageLexicon], padded: str) -> str:
    """The skeleton with minimising phrases cut out, for the classifier: "it's fine, I agreed"
    must not dilute the evidence the rest of the message carries (minimising never lowers)."""
    for lex in lexicons.values():
        compiled = lex.lists.get("minimisers")
        if compiled is not None:
            padded = compiled.regex.sub(" ", padded)
    return " ".join(padded.split())


def _detect_language(text: str, hint: str | None, counts: dict[str, int], supported: set[str]) -> str:
    try:  # another part owns language detection; triage must work without it
        from hotline.language.detect import detect_language  # type: ignore
    except Exception:  # noqa: BLE001 - missing or broken module: fall back below
        detect_language = None
    if detect_language is not None:
        try:
            guess = detect_language(text, hint=hint).lang
            if guess:
                return guess
        except Exception:  # noqa: BLE001 - a detector error must never stop triage
            pass
    if counts:
        best = max(counts.values())
        leaders = [c for c, n in counts.items() if n == best]
        if hint in leaders:
            return hint
        return sorted(leaders)[0]
    if hint and hint in supported:
        return hint
    return "und"


def triage(text: str, lang: str | None = None, intent_ranking: list[dict] | None = None) -> TriageResult:
    """Triage one message. Never raises on any text; an empty message is P3."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    lexicons = load_all()
    reasons: list[str] = []
    indicators: dict[str, None] = {}
    lang_hits: dict[str, int] = {}
    tier = "P3"

    def add(name: str, why: str, lang_code: str | None = None) -> None:
        nonlocal tier
        indicators.setdefault(name, None)
        ind_tier = CATALOGUE[name].tier if name in CATALOGUE else None
        if ind_tier:
            tier = more_urgent(tier, ind_tier)
        reasons.append(f"{name}{' (' + ind_tier + ')' if ind_tier else ''}: {why}")
        if lang_code:
            lang_hits[lang_code] = lang_hits.get(lang_code, 0) + 1

    full = skeleton(text)
    fixed = correct(full, lexicons)
    padded_full = _pad(full)
    padded_fixed = _pad(fixed) if fixed != full else None
    word_count = len(full.split())
    # Minimising words do not make a cry for help longer ("help. it's fine, forget it").
    core_words = len(_without_minimisers(lexicons, padded_full).split())

    # Mention-only contexts: a clause about a film, an essay or penalties carries no indicators.
    parts = clauses(text) or [text]
    mention_clauses = []
    for part in parts:
        p = _pad(skeleton(part))  # no typo folding here: it must never hide an indicator
        for code, lex in lexicons.items():
            found = _search(lex, "mention_only", p)
            if found:
                mention_clauses.append((part, code, found[0]))
                break
    if mention_clauses:
        live = [p for p in parts if p not in {m[0] for m in mention_clauses}]
        scopes = []
        for p in live:
            sk = skeleton(p)
            scopes.append(_pad(sk))
            fixed_part = correct(sk, lexicons)
            if fixed_part != sk:
                scopes.append(_pad(fixed_part))
        for _, code, pat in mention_clauses:
            reasons.append(f"mention-only context [{code}] \"{pat}\": words in that part are not read as indicators")
    else:
        scopes = [padded_full] + ([padded_fixed] if padded_fixed else [])

    hits: list[_Hit] = []
    for scope in scopes:
        hits.extend(_match_indicators(lexicons, scope))
    seen = set()
    for h in hits:
        if h.indicator == "asks_for_help" and word_count > 12 and len(hits) == 1:
            continue
        if h.indicator in seen:
            continue
        seen.add(h.indicator)
        add(h.indicator, f"pattern \"{h.pattern}\" [{h.lang}]", h.lang)

    # One-word / very short cries for help ("help", "ajutor", "допоможіть", "sa3dni").
    # Judged per clause too: "help kill ok. it's fine, I agreed" is still a short cry followed by
    # minimising, which must never lower the tier.
    short_texts = [padded_fixed or padded_full] if core_words <= SHORT_MESSAGE_WORDS else []
    clause_skeletons = [_pad(skeleton(c)) for c in parts]
    short_texts += [c for c in clause_skeletons if len(_without_minimisers(lexicons, c).split()) <= SHORT_MESSAGE_WORDS]
    if short_texts and "asks_for_help" not in indicators and not mention_clauses:
        for code, lex in lexicons.items():
            found = next((f for t in short_texts if (f := _search(lex, "help_words", t))), None)
            if found:
                add("asks_for_help", f"short message with help word \"{found[0]}\" [{code}]", code)
                break

    # Minimising and retraction never lower anything [S002:L209, L211; S001 L1146-1151].
    for code, lex in lexicons.items():
        found = _search(lex, "minimisers", padded_full)
        if found:
            add("minimising", f"\"{found[0]}\" [{code}]; the tier is not lowered", code)
            break

    # Third-party voice without the writer describing themselves: ongoing control seen in
    # someone else, no immediate danger -> P2 (TRIAGE.md P2 row). P0 is never capped.
    third = None
    for code, lex in lexicons.items():
        found = _search(lex, "third_party", padded_full)
        if found:
            third = (code, found[0])
            break
    # First-person words are short and collide across languages (English "my" folds to Italian
    # "mi"), so they are read in the language whose third-party cue matched.
    self_ref = bool(third and _search(lexicons[third[0]], "self_reference", padded_full))

    # Child: age under 18, or child cues, unless only an adult age is stated [S001 L565-566].
    child = False
    ages = _ages(lexicons, padded_full)
    child_ages = [a for a in ages if a[0] < 18]
    adult_ages = [a for a in ages if a[0] >= 18]
    if child_ages:
        age, code, pat = child_ages[0]
        child = True
        add("child_cue", f"age under 18 stated (\"{pat}\") [{code}]", code)
    else:
        for code, lex in lexicons.items():
            found = _search(lex, "child_cues", padded_full)
            if found and not found[1].groupdict().get(f"age{found[1].lastgroup[1:]}"):
                if adult_ages:
                    reasons.append(f"child cue \"{found[0]}\" [{code}] not used: an adult age is stated")
                    break
                child = True
                add("child_cue", f"\"{found[0]}\" [{code}]", code)
                break

    # Rasa's intent ranking: one more signal, never the only safety net.
    for item in intent_ranking or []:
        try:
            name, conf = str(item.get("name")), float(item.get("confidence", 0.0))
        except (AttributeError, TypeError, ValueError):
            continue
        if conf < INTENT_MIN:
            continue
        if name == "unsafe_now":
            add("unsafe_now", f"assistant intent unsafe_now ({conf:.2f})")
        elif name == "need_help":
            add("asks_for_help", f"assistant intent need_help ({conf:.2f})")
        elif name == "inform_child":
            child = True
            add("child_cue", f"assistant intent inform_child ({conf:.2f})")
        elif name == "report_concern":
            add("third_party_concern", f"assistant intent report_concern ({conf:.2f})")

    # Statistical classifier: only raises.
    clf = get_classifier()
    # Char n-grams of one or two words carry no reliable signal ("no" looks like "nož"); very
    # short messages are covered by the help-word lists instead.
    if clf is not None and core_words > MIN_WORDS_FOR_CLASSIFIER:
        pred = clf.predict(_without_minimisers(lexicons, padded_full))
        p = pred.tier_proba
        clf_tier = "P3"
        if p["P0"] >= CLF_P0:
            clf_tier = "P0"
        elif p["P0"] + p["P1"] >= CLF_P0P1:
            clf_tier = "P1"
        elif p["P3"] < CLF_P3_MAX:
            clf_tier = "P2"
        if mention_clauses and not hits and clf_tier in ("P0", "P1"):
            clf_tier = "P2"  # a mention-only message is at most a concern for staff to glance at
        if clf_tier == "P0" and core_words < MIN_WORDS_FOR_CLASSIFIER_P0:
            clf_tier = "P1"
        confident = {str(i.get("name")) for i in intent_ranking or []
                     if isinstance(i, dict) and float(i.get("confidence") or 0) >= BENIGN_MIN}
        if not hits and not indicators:
            if confident & BENIGN_INTENTS:
                clf_tier = "P3"
            elif any(name.startswith("rights_") for name in confident):
                # a question about a right ("my visa ran out, can I stay?") with no indicator in it
                # is an information question (TRIAGE.md P3), whatever the n-grams resemble
                clf_tier = "P3"
        if TIER_RANK[clf_tier] < TIER_RANK[tier]:
            tier = clf_tier
            reasons.append(f"classifier: {clf_tier} (p P0={p['P0']:.2f} P1={p['P1']:.2f} P2={p['P2']:.2f}) raised the tier")
        if pred.child_proba >= CLF_CHILD and not child and not adult_ages:
            child = True
            reasons.append(f"classifier: possible child (p={pred.child_proba:.2f})")

    tiered = [n for n in indicators if CATALOGUE.get(n) and CATALOGUE[n].tier]
    if third and not self_ref and tier == "P1" and not child:
        # a short cry for help or a described coercion of the writer is never "about someone else"
        only_p1 = all(CATALOGUE[n].tier != "P0" for n in tiered) and "asks_for_help" not in indicators
        if only_p1:
            tier = "P2"
            indicators.setdefault("third_party_concern", None)
            reasons.append(f"third_party_concern (P2): about someone else (\"{third[1]}\" [{third[0]}]), no immediate danger stated")
    if child and (tiered or tier != "P3") and TIER_RANK[tier] > TIER_RANK["P1"]:
        tier = "P1"
        reasons.append("child with an indicator: at least P1 [S002:L173; S001 L1153-1155]")

    out_lang = _detect_language(text, lang, lang_hits, set(lexicons))
    return TriageResult(lang=out_lang, urgency=tier, child=child, indicators=list(indicators), reasons=reasons)
