"""An offline sentence splitter for packages that ship no MiniSBD model.

argostranslate 1.11 splits text into sentences before translating. Its default splitter (MiniSBD)
downloads an ONNX model from GitHub on first use unless the package carries
``minisbd/<lang>.onnx``; a package with a ``stanza/`` folder makes Stanza fetch its resource list
on every start (STACK-NOTES "Machine translation"; anchors-notes §7.1, argos issues #385, #512,
#538). On an air-gapped hotline that would fail or hang. Chat and SMS turns are one to three
sentences, so splitting after terminal punctuation is enough (anchors-notes §7.1 suggests exactly
this), and it never touches the network.
"""
from __future__ import annotations

import re

# Terminal punctuation of the hotline's scripts: Latin and Cyrillic . ! ? and the ellipsis,
# Arabic question mark and full stop, and the CJK full-width forms.
_BOUNDARY = re.compile(r"[.!?\u2026\u061F\u06D4\u3002\uFF01\uFF1F]+[\"'\u201D\u00BB)\]]*(?=\s)")
MAX_CHARS = 400  # real models degrade on very long inputs; cut long runs at a space


def split_sentences(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """Split after terminal punctuation followed by space; never drops or reorders text."""
    pieces: list[str] = []
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(text):
        sentences.append(text[start:match.end()])
        start = match.end()
    sentences.append(text[start:])
    for sentence in sentences:
        sentence = sentence.strip()
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            if cut <= 0:
                cut = max_chars
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    return pieces or ([text] if text.strip() else [])


class PunctuationSentencizer:
    """Duck-types argostranslate.sbd.ISentenceBoundaryDetectionModel (``pkg``, ``split_sentences``)."""

    def __init__(self, pkg: object) -> None:
        self.pkg = pkg

    def split_sentences(self, text: str) -> list[str]:
        return split_sentences(text)

    def __str__(self) -> str:
        return "PunctuationSentencizer"
