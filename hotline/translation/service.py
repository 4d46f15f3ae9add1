"""Translator: machine translation of free text between a person and a hotline worker.

Rules this module keeps (docs/POLICY.md §10; docs/OPERATOR-TRANSLATION.md):
- Machine translation is always labelled (``machine=True`` and a ``notice``) and the original is
  always kept beside it (``original``), so the worker can see what the person actually wrote.
- A missing model never breaks a conversation: the original comes back with ``available=False``
  and a notice for the worker; the person's side keeps working in their own language.
- Nothing here touches the network, and argostranslate is imported only on the first
  translation that has a model, so the service starts fast and a hotline without models never
  pays 2 s and 330 MB for it.
- Message text and phone numbers are never logged; failures log the exception type only.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hotline.translation.catalog import language_name, normalise_code
from hotline.translation.engine import ArgosEngine, NoRoute
from hotline.translation.layout import ArgosLayout

log = logging.getLogger(__name__)

MAX_CHARS = 5000  # a long message costs seconds of CPU; beyond this the worker reads the original
CACHE_SIZE = 256


@dataclass(frozen=True)
class Translation:
    """The outcome of one translation request.

    ``text`` is what to show; ``original`` is what was written. ``machine`` says ``text`` came
    from a model (label it). ``available`` is False when no model could translate, in which case
    ``text`` is the original and ``notice`` says why. ``path`` lists the languages the text went
    through, e.g. ``('ro', 'en', 'uk')`` when English was used as a pivot.
    """

    text: str
    source: str
    target: str
    machine: bool
    available: bool
    original: str
    notice: str | None
    path: tuple[str, ...] = ()

    @property
    def pivot(self) -> str | None:
        """The intermediate language when the text went through one (English in practice)."""
        return self.path[1] if len(self.path) > 2 else None


def _machine_notice(source: str, target: str, path: tuple[str, ...]) -> str:
    via = ""
    if len(path) > 2:
        via = " via " + ", ".join(language_name(code) for code in path[1:-1])
    return (
        f"Machine translation from {language_name(source)} to {language_name(target)}{via}; "
        "it may be wrong. The original is kept."
    )


def _unavailable(text: str, source: str | None, target: str | None, why: str) -> Translation:
    return Translation(
        text=text, source=source or "und", target=target or "und", machine=False,
        available=False, original=text, notice=why,
    )


class Translator:
    """Thread-safe, offline translation with a small in-memory result cache.

    One instance per process (``get_translator``) so models are loaded once. ``translate`` blocks
    (tens of ms warm, seconds on the very first call); async code uses ``atranslate``, which runs
    it on a dedicated worker thread so the event loop is never blocked.
    """

    def __init__(self, argos_dir: str | None = None, cache_size: int = CACHE_SIZE) -> None:
        self.layout = ArgosLayout.from_env(argos_dir)
        self.engine = ArgosEngine(self.layout)
        self._cache: OrderedDict[tuple[str, str, str], Translation] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._cache_signature: tuple | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    # -- public -------------------------------------------------------------------------------

    def translate(self, text: str, source: str | None, target: str | None) -> Translation:
        """Translate ``text`` from ``source`` to ``target`` (ISO 639-1 codes)."""
        src, dst = normalise_code(source), normalise_code(target)
        if src is not None and src == dst:
            return Translation(text=text, source=src, target=dst, machine=False, available=True,
                               original=text, notice=None, path=(src,))
        if not text or not text.strip():
            return Translation(text=text, source=src or "und", target=dst or "und", machine=False,
                               available=True, original=text, notice=None)
        if src is None:
            return _unavailable(text, src, dst, "The language of this message is not known, so it "
                                "was not machine-translated. Showing the original.")
        if dst is None:
            return _unavailable(text, src, dst, "No target language was given, so this message "
                                "was not machine-translated. Showing the original.")
        if len(text) > MAX_CHARS:
            return _unavailable(text, src, dst, f"This message is longer than {MAX_CHARS} "
                                "characters and was not machine-translated. Showing the original.")

        catalog = self.engine.catalog
        signature = catalog.signature()
        key = (src, dst, text)
        with self._cache_lock:
            if signature != self._cache_signature:
                self._cache.clear()  # models changed: earlier results may be outdated
                self._cache_signature = signature
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached

        if catalog.route(src, dst) is None:
            # Decided from metadata alone: no argos import for a pair that cannot be served.
            return _unavailable(text, src, dst, self._missing_notice(src, dst))
        try:
            result = self.engine.translate(text, src, dst)
        except NoRoute:
            return _unavailable(text, src, dst, self._missing_notice(src, dst))
        except Exception as exc:  # a broken model must not break the conversation
            log.error("machine translation %s->%s failed: %s", src, dst, type(exc).__name__)
            return _unavailable(text, src, dst, "Machine translation failed for this message. "
                                "Showing the original.")
        translation = Translation(
            text=result.text, source=src, target=dst, machine=True, available=True,
            original=text, notice=_machine_notice(src, dst, result.path), path=result.path,
        )
        with self._cache_lock:
            if signature == self._cache_signature:
                self._cache[key] = translation
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return translation

    async def atranslate(self, text: str, source: str | None, target: str | None) -> Translation:
        """``translate`` on the translation worker thread, for async callers."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker(), self.translate, text, source, target)

    def can_translate(self, source: str | None, target: str | None) -> bool:
        """Whether a model route exists, from the files alone (no argos import)."""
        src, dst = normalise_code(source), normalise_code(target)
        if src is None or dst is None:
            return False
        return src == dst or self.engine.catalog.route(src, dst) is not None

    def forget(self) -> None:
        """Drop every cached translation (erasure: cached text must not outlive its conversation)."""
        with self._cache_lock:
            self._cache.clear()
        self.engine.forget_text()

    def close(self) -> None:
        """Stop the worker thread and unload models."""
        with self._executor_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
        self.forget()
        self.engine.unload()

    # -- internals ----------------------------------------------------------------------------

    def _worker(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                # One thread: argos calls are serialised anyway, and ordering stays predictable.
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="translate")
            return self._executor

    @staticmethod
    def _missing_notice(src: str, dst: str) -> str:
        return (
            f"No machine translation model is installed for {language_name(src)} to "
            f"{language_name(dst)}. Showing the original text."
        )


_default: Translator | None = None
_default_lock = threading.Lock()


def get_translator() -> Translator:
    """The process-wide Translator (models are loaded once per process)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Translator()
        return _default
