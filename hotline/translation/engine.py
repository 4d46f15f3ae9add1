"""The one place that imports and drives argostranslate.

Why a wrapper: argostranslate reads its settings at import, builds its language graph once
(``get_installed_languages`` is an ``lru_cache``), keeps loaded models in the module-level list
``translate.installed_translates`` and picks a sentence splitter that may download a model. This
module imports it lazily with an offline configuration, reloads its graph when the model files
change, and gives every loaded pair a sentence splitter that cannot reach the network.
"""
from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from hotline.translation.catalog import Catalog, package_sbd_file
from hotline.translation.layout import ArgosLayout
from hotline.translation.sentences import PunctuationSentencizer

log = logging.getLogger(__name__)


class NoRoute(Exception):
    """No installed model, direct or chained, translates between the two languages."""


@dataclass(frozen=True)
class EngineResult:
    text: str
    path: tuple[str, ...]  # languages the text went through, e.g. ('ro', 'en', 'uk')


def _silence_argos_logging() -> None:
    """argostranslate logs every input, its tokens and its translation at INFO level on the
    ``argostranslate.utils`` logger (which it sets to INFO itself). Message text must never reach
    the hotline's logs, so only warnings and errors (which carry no text) are let through."""
    logging.getLogger("argostranslate.utils").setLevel(logging.WARNING)
    logging.getLogger("argostranslate").setLevel(logging.WARNING)


def _tolerate_stray_folders(package: ModuleType) -> None:
    """argostranslate's package scan raises FileNotFoundError for any folder in the packages
    directory without a metadata.json, which would stop every translation in the service. Skip
    such folders (and hidden ones) instead; ``hotline models list`` does the same."""
    original = package.get_installed_packages
    if getattr(original, "_hotline_tolerant", False):
        return

    def get_installed_packages(path=None):
        with package.package_lock:
            found = []
            for directory in (package.settings.package_dirs if path is None else path):
                for child in sorted(Path(directory).iterdir()):
                    if child.is_dir() and not child.name.startswith(".") and (child / "metadata.json").is_file():
                        try:
                            found.append(package.Package(child))
                        except Exception as exc:  # noqa: BLE001 - one bad package must not stop the rest
                            log.error("skipping unreadable translation package %s: %s", child.name, type(exc).__name__)
            return found

    get_installed_packages._hotline_tolerant = True  # type: ignore[attr-defined]
    package.get_installed_packages = get_installed_packages


def _configure_settings(settings: ModuleType, layout: ArgosLayout, env: dict[str, str]) -> None:
    """Force the offline settings onto argostranslate.settings even if someone imported it first.

    Environment variables only act at first import; if another part of the process imported
    argostranslate earlier, its module attributes are set here to the same values.
    """
    settings.package_data_dir = Path(env["ARGOS_PACKAGES_DIR"])
    settings.package_dirs = [layout.packages]
    settings.package_index = env["ARGOS_PACKAGE_INDEX"]
    settings.remote_package_index = env["ARGOS_PACKAGE_INDEX"] + "index.json"
    settings.remote_repo = env["ARGOS_PACKAGE_INDEX"]
    settings.device = "cpu"
    settings.intra_threads = int(env["ARGOS_INTRA_THREADS"])
    settings.inter_threads = 1
    settings.model_provider = settings.ModelProvider.OPENNMT
    settings.chunk_type = settings.ChunkType.ARGOSTRANSLATE


class _ArgosState:
    """argostranslate keeps its settings, language graph and loaded models in module globals, so
    every engine in the process shares one lock and one record of which store argos points at."""

    lock = threading.RLock()
    translate: ModuleType | None = None
    root: Path | None = None
    signature: tuple | None = None
    prepared: set[int] = set()
    import_seconds: float | None = None


class ArgosEngine:
    """Lazy, offline, thread-safe access to argostranslate for one model store."""

    def __init__(self, layout: ArgosLayout) -> None:
        self.layout = layout
        self.catalog = Catalog(layout.packages, layout.minisbd)

    @property
    def imported(self) -> bool:
        return _ArgosState.translate is not None

    @property
    def import_seconds(self) -> float | None:
        """How long the one argostranslate import of this process took (None: not yet)."""
        return _ArgosState.import_seconds

    def _import(self) -> ModuleType:
        """Import argostranslate once, with the offline environment in place during the import."""
        if _ArgosState.translate is not None:
            return _ArgosState.translate
        self.layout.ensure()
        env = self.layout.argos_environment()
        saved = {key: os.environ.get(key) for key in env}
        started = time.perf_counter()
        os.environ.update(env)
        try:
            importlib.import_module("argostranslate.settings")
            translate = importlib.import_module("argostranslate.translate")
            importlib.import_module("argostranslate.sbd")
            _tolerate_stray_folders(importlib.import_module("argostranslate.package"))
        finally:
            # Restore the process environment: XDG_* must not move other libraries' files.
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        _silence_argos_logging()
        _ArgosState.import_seconds = time.perf_counter() - started
        log.info("argostranslate imported in %.2f s", _ArgosState.import_seconds)
        _ArgosState.translate = translate
        return translate

    def _point_at_store(self, translate: ModuleType) -> None:
        """Make argos use this engine's store (settings are globals; another engine may have moved them)."""
        if _ArgosState.root == self.layout.root:
            return
        import argostranslate.sbd as sbd
        import argostranslate.settings as settings

        self.layout.ensure()
        _configure_settings(settings, self.layout, self.layout.argos_environment())
        _silence_argos_logging()
        # MiniSBD's download cache: point it at the shared folder, so a <lang>.onnx the operator
        # placed there is found without a download.
        sbd.minisbd_models.cache_dir = str(self.layout.minisbd)
        _ArgosState.root = self.layout.root
        _ArgosState.signature = None

    def _refresh(self, translate: ModuleType) -> None:
        """Rebuild argos's language graph if models were installed or removed since last time."""
        signature = self.catalog.signature()
        if signature == _ArgosState.signature:
            return
        # STACK-NOTES: after installing a package in a running process, clear both.
        translate.installed_translates.clear()
        translate.get_installed_languages.cache_clear()
        _ArgosState.prepared.clear()
        _ArgosState.signature = signature

    def _secure_sentencizers(self, translate: ModuleType) -> None:
        """Give every loaded pair a sentence splitter that works offline.

        Order: the package's own minisbd/*.onnx (argos already uses it); else a shared
        <layout>/minisbd/<lang>.onnx the operator installed; else the punctuation splitter.
        argos's Stanza splitter (packages with stanza/) and MiniSBD without a local file would
        download, so they are always replaced.
        """
        from argostranslate.sbd import MiniSBDSentencizer

        for entry in translate.installed_translates:
            underlying = getattr(entry.cached_translation, "underlying", None)
            if underlying is None or id(underlying) in _ArgosState.prepared:
                continue
            pkg = underlying.pkg
            if package_sbd_file(pkg.package_path) is not None and isinstance(
                underlying.sentencizer, MiniSBDSentencizer
            ):
                pass  # argos resolved the packaged file path itself: offline
            else:
                shared = self.catalog.shared_sbd_file(pkg.from_code)
                if shared is not None:
                    sentencizer = MiniSBDSentencizer(pkg)
                    sentencizer.lang = str(shared)  # a file path: minisbd loads it, no download
                    underlying.sentencizer = sentencizer
                else:
                    underlying.sentencizer = PunctuationSentencizer(pkg)
            _ArgosState.prepared.add(id(underlying))

    def translate(self, text: str, source: str, target: str) -> EngineResult:
        """Translate with argostranslate; raises NoRoute when no installed chain exists."""
        with _ArgosState.lock:
            translate = self._import()
            self._point_at_store(translate)
            self._refresh(translate)
            languages = {lang.code: lang for lang in translate.get_installed_languages()}
            self._secure_sentencizers(translate)
            src, dst = languages.get(source), languages.get(target)
            if src is None or dst is None:
                raise NoRoute(f"{source}->{target}")
            translation = src.get_translation(dst)
            if translation is None:
                raise NoRoute(f"{source}->{target}")
            result = translation.translate(text)
            return EngineResult(text=result, path=tuple(_path_of(translation)))

    def forget_text(self) -> None:
        """Empty argos's own per-pair cache, which keeps the last paragraphs translated."""
        with _ArgosState.lock:
            if _ArgosState.translate is None:
                return
            for entry in _ArgosState.translate.installed_translates:
                cached = entry.cached_translation
                if hasattr(cached, "cache"):
                    cached.cache = {}

    def unload(self) -> None:
        """Drop loaded models (memory) and force a rebuild on next use."""
        with _ArgosState.lock:
            if _ArgosState.translate is not None:
                _ArgosState.translate.installed_translates.clear()
                _ArgosState.translate.get_installed_languages.cache_clear()
            _ArgosState.prepared.clear()
            _ArgosState.signature = None


def _path_of(translation: object) -> list[str]:
    """The language codes a (possibly chained) argos translation goes through."""
    first, second = getattr(translation, "t1", None), getattr(translation, "t2", None)
    if first is not None and second is not None:
        return _path_of(first) + _path_of(second)[1:]
    underlying = getattr(translation, "underlying", translation)
    return [underlying.from_lang.code, underlying.to_lang.code]
