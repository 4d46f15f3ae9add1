"""What models are installed, read from their metadata.json files without importing argostranslate.

The service asks "is there a route from ro to uk?" on every message. Answering from the files
costs microseconds, so a conversation in a language without a model never pays argos's 2 s and
330 MB import, and a model installed or removed by ``hotline models`` while the service runs is
seen on the next message (``Catalog.signature`` changes).
"""
from __future__ import annotations

import json
import os
import re
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

CODE_RE = re.compile(r"^[a-z]{2,3}$")

# Names for the notices workers read. The hotline's languages (docs/CONTRACTS.md) and a few
# others people write in; any other code is shown as the code itself.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "ro": "Romanian", "uk": "Ukrainian", "ru": "Russian", "bg": "Bulgarian",
    "sq": "Albanian", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
    "pl": "Polish", "ar": "Arabic", "pt": "Portuguese", "tr": "Turkish", "hu": "Hungarian",
    "vi": "Vietnamese", "zh": "Chinese", "hi": "Hindi", "fa": "Persian", "cs": "Czech",
    "sk": "Slovak", "nl": "Dutch", "el": "Greek", "tl": "Tagalog", "th": "Thai",
}

# The pairs this hotline needs (docs/CONTRACTS.md: every supported language <-> English).
HOTLINE_LANGUAGES: tuple[str, ...] = ("ro", "uk", "ru", "bg", "sq", "es", "fr", "de", "it", "pl", "ar")
PIVOT = "en"

# argostranslate's own codes for variants: Brazilian Portuguese and Traditional Chinese.
_VARIANT_CODES = {"pt-br": "pb", "zh-tw": "zt", "zh-hant": "zt", "zh-hk": "zt"}


def normalise_code(code: str | None) -> str | None:
    """'RO', 'ro-RO', 'ro_RO' -> 'ro'; None, '' and 'und' -> None (language unknown)."""
    if not code:
        return None
    lowered = code.strip().lower().replace("_", "-")
    if lowered in _VARIANT_CODES:
        return _VARIANT_CODES[lowered]
    primary = lowered.split("-", 1)[0]
    if primary in ("", "und", "mul", "zxx") or not CODE_RE.match(primary):
        return None
    return primary


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


@dataclass(frozen=True)
class InstalledModel:
    """One installed pair, as its metadata.json and the install record describe it."""

    from_code: str
    to_code: str
    version: str
    path: Path
    sentence_splitter: str  # "package minisbd", "shared minisbd" or "punctuation (built-in)"
    sha256: str | None


def _read_json(path: Path) -> dict | None:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def package_sbd_file(package_dir: Path) -> Path | None:
    """The MiniSBD model shipped inside a package, the first ``minisbd/*.onnx`` as argos picks it."""
    folder = package_dir / "minisbd"
    if not folder.is_dir():
        return None
    found = sorted(name for name in os.listdir(folder) if name.endswith(".onnx"))
    return folder / found[0] if found else None


class Catalog:
    """The installed models under one packages directory (plus the shared MiniSBD folder)."""

    def __init__(self, packages_dir: Path, minisbd_dir: Path | None = None) -> None:
        self.packages_dir = packages_dir
        self.minisbd_dir = minisbd_dir
        self._memo: tuple[tuple, list[InstalledModel]] | None = None
        self._memo_lock = threading.Lock()

    def signature(self) -> tuple:
        """Changes whenever a model or a shared sentence model is added, replaced or removed."""
        entries: list[tuple[str, int]] = []
        for folder in (self.packages_dir, self.minisbd_dir):
            if folder is None:
                continue
            try:
                with os.scandir(folder) as scan:
                    for entry in scan:
                        if entry.name.startswith("."):
                            continue
                        meta = Path(entry.path) / "metadata.json"
                        try:
                            info = meta.stat() if entry.is_dir() else entry.stat()
                            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
                        except OSError:
                            stamp = (-1, -1, -1)
                        entries.append((entry.path, stamp))
            except FileNotFoundError:
                continue
        return tuple(sorted(entries))

    def shared_sbd_file(self, lang: str) -> Path | None:
        if self.minisbd_dir is None:
            return None
        candidate = self.minisbd_dir / f"{lang}.onnx"
        return candidate if candidate.is_file() else None

    def models(self) -> list[InstalledModel]:
        """Installed translation packages; re-read only when ``signature`` changes (every message
        asks, and a store of 22 models would otherwise mean 22 file reads per message)."""
        signature = self.signature()
        with self._memo_lock:
            if self._memo is not None and self._memo[0] == signature:
                return list(self._memo[1])
        found = self._read_models()
        with self._memo_lock:
            self._memo = (signature, found)
        return list(found)

    def _read_models(self) -> list[InstalledModel]:
        """Installed translation packages, skipping folders argos would not load either."""
        found: list[InstalledModel] = []
        try:
            children = sorted(self.packages_dir.iterdir())
        except FileNotFoundError:
            return found
        for child in children:
            if not child.is_dir() or child.name.startswith("."):
                continue
            meta = _read_json(child / "metadata.json")
            if meta is None or meta.get("type", "translate") != "translate":
                continue
            src, dst = meta.get("from_code"), meta.get("to_code")
            if not isinstance(src, str) or not isinstance(dst, str):
                continue
            if package_sbd_file(child) is not None:
                splitter = "package minisbd"
            elif self.shared_sbd_file(src) is not None:
                splitter = "shared minisbd"
            else:
                splitter = "punctuation (built-in)"
            record = _read_json(child / ".hotline-install.json") or {}
            found.append(InstalledModel(
                from_code=src, to_code=dst, version=str(meta.get("package_version", "")),
                path=child, sentence_splitter=splitter, sha256=record.get("sha256"),
            ))
        return found

    def pairs(self) -> set[tuple[str, str]]:
        return {(m.from_code, m.to_code) for m in self.models()}

    def route(self, source: str, target: str, pairs: set[tuple[str, str]] | None = None) -> list[str] | None:
        """The language path argos can take from source to target, e.g. ['ro', 'en', 'uk'].

        argostranslate chains installed pairs through any intermediate language (in practice
        English, which every published model pairs with). None when no chain exists.
        """
        pairs = self.pairs() if pairs is None else pairs
        if source == target:
            return [source]
        graph: dict[str, list[str]] = {}
        for src, dst in sorted(pairs):
            graph.setdefault(src, []).append(dst)
        # Prefer English as the first hop, as published models are all paired with English.
        for hops in graph.values():
            hops.sort(key=lambda code: (code != PIVOT, code))
        queue: deque[list[str]] = deque([[source]])
        seen = {source}
        while queue:
            path = queue.popleft()
            for nxt in graph.get(path[-1], []):
                if nxt in seen:
                    continue
                if nxt == target:
                    return path + [nxt]
                seen.add(nxt)
                queue.append(path + [nxt])
        return None
