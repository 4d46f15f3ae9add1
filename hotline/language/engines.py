"""The two statistical detectors, restricted to the supported languages and mapped to ISO codes.

Both are loaded once per process and cached (lingua's models take ~1.5 s and ~100 MB to load;
langdetect's profiles ~0.5 s). Neither touches the network: both ship their models in the wheel.

- langdetect is non-deterministic unless seeded; ``DetectorFactory.seed = 0`` makes it repeatable
  (STACK-NOTES.md). Its candidate set is restricted with a prior map, so it can only answer one of
  the supported languages.
- lingua is built from the supported languages only, which both speeds it up and stops it
  answering Catalan for diacritic-less Spanish.
"""
from __future__ import annotations

import functools
import threading

from hotline.language.languages import supported_languages

_LOCK = threading.Lock()          # langdetect's shared factory and seeded generator
_BUILD_LOCK = threading.Lock()    # build lingua once even if two requests arrive together


@functools.lru_cache(maxsize=4)
def _lingua_detector(languages: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    wanted = []
    for code in languages:
        iso = getattr(IsoCode639_1, code.upper(), None)
        if iso is None:
            continue  # lingua does not know this language: it simply gets no lingua vote
        try:
            wanted.append(Language.from_iso_code_639_1(iso))
        except ValueError:
            continue
    if len(wanted) < 2:
        return None
    return LanguageDetectorBuilder.from_languages(*wanted).build()


def lingua_scores(text: str, languages: tuple[str, ...] | None = None) -> dict[str, float]:
    """lingua's confidence for each supported language it knows (values sum to 1, or all 0)."""
    with _BUILD_LOCK:
        detector = _lingua_detector(languages or supported_languages())
    if detector is None:
        return {}
    values = detector.compute_language_confidence_values(text)
    return {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}


@functools.lru_cache(maxsize=1)
def _langdetect_factory():  # type: ignore[no-untyped-def]
    from langdetect import DetectorFactory, detector_factory

    DetectorFactory.seed = 0
    detector_factory.init_factory()
    return detector_factory._factory  # noqa: SLF001 - the library's own singleton


def _base_code(code: str) -> str:
    """langdetect answers "zh-cn"/"zh-tw": the part before the dash is the ISO 639-1 code."""
    return code.split("-", 1)[0].lower()


def langdetect_scores(text: str, languages: tuple[str, ...] | None = None) -> dict[str, float]:
    """Seeded langdetect probabilities over the supported languages ({} when it finds no features)."""
    from langdetect.lang_detect_exception import LangDetectException

    wanted = set(languages or supported_languages())
    with _BUILD_LOCK:  # two first calls at once would both load profiles ("Need to load profiles")
        factory = _langdetect_factory()
    with _LOCK:  # the factory and the seeded random generator are shared state
        detector = factory.create()
        prior = {lang: 1.0 for lang in factory.langlist if _base_code(lang) in wanted}
        if not prior:
            return {}
        detector.set_prior_map(prior)
        detector.append(text)
        try:
            found = detector.get_probabilities()
        except LangDetectException:
            return {}
    scores: dict[str, float] = {}
    for item in found:
        code = _base_code(item.lang)
        if code in wanted:
            scores[code] = scores.get(code, 0.0) + float(item.prob)
    return scores


def plain_langdetect(text: str, languages: tuple[str, ...] | None = None) -> str | None:
    """The baseline: seeded langdetect alone, restricted and mapped, top answer or None."""
    scores = langdetect_scores(text, languages)
    return max(scores, key=scores.__getitem__) if scores else None


def plain_lingua(text: str, languages: tuple[str, ...] | None = None) -> str | None:
    """lingua alone, restricted to the supported languages, top answer or None."""
    scores = lingua_scores(text, languages)
    if not scores or max(scores.values()) <= 0.0:
        return None
    return max(scores, key=scores.__getitem__)


def warm_up() -> None:
    """Load both models now (a server calls this at start so the first message is not slow)."""
    lingua_scores("warm up")
    langdetect_scores("warm up")


def reset_engines() -> None:
    _lingua_detector.cache_clear()
