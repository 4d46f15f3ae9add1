"""Offline machine translation (argostranslate) for free text between a person and a worker.

Importing this package is cheap: argostranslate (about 2 s and 330 MB, because it pulls in
spaCy, Stanza and torch) is imported only on the first translation that has a model, never at
service start-up. See docs/OPERATOR-TRANSLATION.md for installing models.
"""
from __future__ import annotations

from hotline.translation.service import Translation, Translator, get_translator

__all__ = ["Translation", "Translator", "get_translator"]
