"""Loads and compiles the per-language indicator patterns (``patterns/<lang>.yml``).

Pattern syntax (kept small so reviewers who are not programmers can edit it):

- words separated by spaces must appear in that order, next to each other;
- ``a|b|c`` any of these words; ``word*`` any word starting with ``word``; ``*word`` any word
  ending with ``word`` (German compounds: ``*pass`` matches "Reisepass");
- ``..`` up to 3 words of anything; ``...`` up to 6 words;
- ``word?`` an optional word;
- ``{age}`` a number of one or two digits, read as an age (child cues only).

Every literal goes through :func:`hotline.triage.normalize.skeleton`, exactly like the message,
so patterns are written in the language's normal spelling (with diacritics, in Cyrillic or
Arabic script) and still match typed-without-diacritics, transliterated or doubled-letter text.
A file may list ``prefixes`` (clitics such as Arabic "و" "ال" or French "l'" "j'") allowed
in front of every word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from hotline.triage.catalogue import CATALOGUE
from hotline.triage.normalize import cyrillic_variants, has_cyrillic, skeleton

PATTERN_DIR = Path(__file__).with_name("patterns")
LIST_KINDS = ("child_cues", "minimisers", "mention_only", "third_party", "self_reference", "help_words")


class LexiconError(ValueError):
    """A patterns file does not follow the schema; raised at load, never at triage time."""


@dataclass
class CompiledList:
    """One list of patterns compiled into a single regex; group ``p<i>`` is ``sources[i]``."""

    regex: re.Pattern[str]
    sources: list[str]

    def search(self, text: str) -> tuple[str, re.Match[str]] | None:
        m = self.regex.search(text)
        if m is None:
            return None
        return self.sources[int(m.lastgroup[1:])], m


@dataclass
class LanguageLexicon:
    lang: str
    version: str
    indicators: dict[str, CompiledList] = field(default_factory=dict)  # incl. P0 triggers
    lists: dict[str, CompiledList] = field(default_factory=dict)
    vocabulary: set[str] = field(default_factory=set)
    pattern_count: int = 0


def _word_regex(word: str, vocab: set[str]) -> str:
    """Regex for one word of a pattern (several spellings for Cyrillic 'г'), without spaces."""
    if word == "{age}":
        return r"(?P<age>\d{1,2})"
    prefix_wild = word.startswith("*")
    suffix_wild = word.endswith("*")
    core = word.strip("*")
    if not core:
        raise LexiconError(f"empty word {word!r}")
    variants = cyrillic_variants(core) if has_cyrillic(core) else [skeleton(core)]
    frags = []
    for v in dict.fromkeys(variants):
        if not v:
            continue
        words = v.split(" ")
        if len(words) == 1 and len(v) >= 6 and not (prefix_wild or suffix_wild):
            vocab.add(v)  # typo targets: whole words only, never stems
        frag = r"\ ".join(re.escape(w) for w in words)
        frags.append((r"\w*" if prefix_wild else "") + frag + (r"\w*" if suffix_wild else ""))
    if not frags:
        raise LexiconError(f"word {word!r} is empty after normalisation")
    return frags[0] if len(frags) == 1 else "(?:" + "|".join(frags) + ")"


_TOKEN = re.compile(r"\s*(\(|\)\??|\||\.\.\.|\.\.|[^\s()|]+)")


def compile_pattern(pattern: str, prefixes: list[str], vocab: set[str]) -> str:
    """Turn one pattern line into a regex over ``" " + skeleton + " "`` (see module docstring).

    Every word's regex starts with the space that separates it from the previous word, so
    groups, optional words and gaps compose without special cases."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise LexiconError(f"pattern must be a non-empty string, got {pattern!r}")
    tokens = [t for t in _TOKEN.findall(pattern.split("  #")[0]) if t]
    pre = ""
    if prefixes:
        pre = "(?:" + "|".join(sorted({re.escape(skeleton(p)) for p in prefixes if skeleton(p)},
                                      key=len, reverse=True)) + ")?"
    pos = 0

    def parse_alt() -> str:
        nonlocal pos
        seqs = [parse_seq()]
        while pos < len(tokens) and tokens[pos] == "|":
            pos += 1
            seqs.append(parse_seq())
        seqs = [s for s in seqs if s]
        if not seqs:
            raise LexiconError(f"empty alternative in {pattern!r}")
        return seqs[0] if len(seqs) == 1 else "(?:" + "|".join(seqs) + ")"

    def parse_seq() -> str:
        nonlocal pos
        out = []
        while pos < len(tokens) and tokens[pos] not in ("|",) and not tokens[pos].startswith(")"):
            tok = tokens[pos]
            pos += 1
            if tok == "(":
                inner = parse_alt()
                if pos >= len(tokens) or not tokens[pos].startswith(")"):
                    raise LexiconError(f"unbalanced parenthesis in {pattern!r}")
                optional = tokens[pos] == ")?"
                pos += 1
                out.append(f"(?:{inner})?" if optional else inner)
            elif tok in ("..", "..."):
                out.append(r"(?:\ \w+){0,%d}" % (3 if tok == ".." else 6))
            else:
                optional = tok.endswith("?") and len(tok) > 1
                word = _word_regex(tok.rstrip("?") if optional else tok, vocab)
                item = r"\ " + pre + word
                out.append(f"(?:{item})?" if optional else item)
        return "".join(out)

    body = parse_alt()
    if pos != len(tokens):
        raise LexiconError(f"unbalanced parenthesis in {pattern!r}")
    regex = body + r"(?=\ )"
    if re.search(regex, "  "):
        raise LexiconError(f"pattern {pattern!r} can match an empty message")
    return regex


def _compile_list(patterns: list[str], prefixes: list[str], vocab: set[str], where: str) -> CompiledList:
    if not isinstance(patterns, list) or not patterns:
        raise LexiconError(f"{where}: expected a non-empty list of patterns")
    groups = []
    for i, p in enumerate(patterns):
        body = compile_pattern(p, prefixes, vocab)
        if "(?P<age>" in body:
            body = body.replace("(?P<age>", f"(?P<age{i}>")
        groups.append(f"(?P<p{i}>{body})")
    try:
        return CompiledList(re.compile("|".join(groups)), [str(p) for p in patterns])
    except re.error as exc:  # pragma: no cover - compile_pattern escapes everything
        raise LexiconError(f"{where}: {exc}") from exc


def load_language(path: Path) -> LanguageLexicon:
    """Parse and validate one language file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = path.name
    if not isinstance(data, dict):
        raise LexiconError(f"{where}: not a mapping")
    lang = data.get("lang")
    if lang != path.stem:
        raise LexiconError(f"{where}: lang {lang!r} does not match the file name")
    version = data.get("version")
    if not version:
        raise LexiconError(f"{where}: missing version")
    prefixes = data.get("prefixes") or []
    lex = LanguageLexicon(lang=lang, version=str(version))
    for name, spec in (data.get("indicators") or {}).items():
        ind = CATALOGUE.get(name)
        if ind is None or ind.tier is None:
            raise LexiconError(f"{where}: unknown indicator {name!r} (add it to catalogue.py first)")
        if not isinstance(spec, dict) or spec.get("tier") != ind.tier:
            raise LexiconError(f"{where}: {name} must state tier {ind.tier}")
        lex.indicators[name] = _compile_list(spec.get("patterns"), prefixes, lex.vocabulary, f"{where}:{name}")
        lex.pattern_count += len(spec["patterns"])
    for name, pats in (data.get("p0_triggers") or {}).items():
        ind = CATALOGUE.get(name)
        if ind is None or ind.tier != "P0":
            raise LexiconError(f"{where}: p0_triggers.{name} is not a P0 indicator in catalogue.py")
        lex.indicators[name] = _compile_list(pats, prefixes, lex.vocabulary, f"{where}:{name}")
        lex.pattern_count += len(pats)
    for kind in LIST_KINDS:
        pats = data.get(kind)
        if not pats:
            raise LexiconError(f"{where}: missing list {kind}")
        lex.lists[kind] = _compile_list(pats, prefixes, lex.vocabulary, f"{where}:{kind}")
        lex.pattern_count += len(pats)
    return lex


@lru_cache(maxsize=1)
def load_all() -> dict[str, LanguageLexicon]:
    """All language files, loaded once per process. Adding a language = adding a file."""
    files = sorted(PATTERN_DIR.glob("*.yml"))
    if not files:  # installed without the source tree: read package data
        base = resources.files("hotline.triage") / "patterns"
        files = sorted(Path(str(p)) for p in base.iterdir() if str(p).endswith(".yml"))
    return {f.stem: load_language(f) for f in files}
