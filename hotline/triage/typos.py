"""Typo folding toward the pattern vocabulary.

People in distress type fast: "pasprt", "beatng", "ajutoor". After the skeleton has removed
diacritics and doubled letters, a word of 6+ letters that is not in the vocabulary of the
patterns but is one edit (insert, delete, substitute, or swap of neighbours) away from exactly
one vocabulary word (whole words of 6+ letters from the patterns, never stems) is replaced by
it. The corrected text is only used to find *more* indicators, never to find mention-only
contexts, so a wrong correction can raise a tier but never hide one. Delete-neighbourhood
index (SymSpell idea): a few dictionary look-ups per word, not a scan.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping

MIN_LEN = 6


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@lru_cache(maxsize=8)
def _index(vocab: frozenset[str]) -> tuple[frozenset[str], dict[str, set[str]]]:
    idx: dict[str, set[str]] = {}
    for w in vocab:
        idx.setdefault(w, set()).add(w)
        for d in _deletes(w):
            idx.setdefault(d, set()).add(w)
    return vocab, idx


def _vocab_of(lexicons: Mapping) -> frozenset[str]:
    words: set[str] = set()
    for lex in lexicons.values():
        words |= lex.vocabulary
    return frozenset(w for w in words if len(w) >= MIN_LEN and w.isalpha())


_VOCAB_CACHE: dict[int, frozenset[str]] = {}


def _is_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    return True  # one insert/delete, guaranteed by the delete index


def suggest(word: str, vocab: frozenset[str], idx: dict[str, set[str]]) -> str | None:
    """The single vocabulary word one edit away from ``word``, or None (ambiguous or none)."""
    if len(word) < MIN_LEN or word in vocab or not word.isalpha():
        return None
    cands: set[str] = set(idx.get(word, ()))
    for d in _deletes(word):
        cands |= idx.get(d, set())
    cands = {c for c in cands if _is_one_edit(word, c) and c[0] == word[0]}
    return next(iter(cands)) if len(cands) == 1 else None


def correct(skel: str, lexicons: Mapping) -> str:
    """``skel`` with near-miss words replaced by the vocabulary word they were meant to be."""
    key = id(lexicons)
    vocab = _VOCAB_CACHE.get(key)
    if vocab is None:
        vocab = _VOCAB_CACHE[key] = _vocab_of(lexicons)
    vocab, idx = _index(vocab)
    words = skel.split(" ")
    changed = False
    for i, w in enumerate(words):
        s = suggest(w, vocab, idx)
        if s:
            words[i] = s
            changed = True
    return " ".join(words) if changed else skel
