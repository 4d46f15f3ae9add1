"""How many SMS segments a reply costs, and how to make a reply fit.

Why this exists: a reply split over many segments arrives out of order or in pieces on cheap
phones, costs the person's credit on some networks, and a long message on a phone someone else
may be reading is a risk. The product keeps every SMS reply to three segments
(docs/CONTRACTS.md), so the locale check and the SMS channel both need an exact count.

Rules implemented (3GPP TS 23.038 and the concatenation header of TS 23.040):

- A text is sent in the GSM 7-bit default alphabet when every character is in the basic table or
  the extension table; extension characters (``^ { } \\ [ ~ ] | €`` and form feed) take two
  septets (an escape plus the character). Otherwise it is sent as UCS-2 (UTF-16 code units):
  characters outside the Basic Multilingual Plane (most emoji) take two units.
- One segment holds 160 septets (GSM-7) or 70 units (UCS-2). A concatenated message loses room
  to its header: 153 septets or 67 units a segment.
- An escape sequence or a surrogate pair is never split across two segments, so segments are
  packed greedily; this can cost one segment more than a plain ceiling division, which is what
  carriers and Twilio actually send.

No library on the registry does exactly this and is maintained (smsutil: last release 2020;
sms-counter: a single 0.0.1 release), so it is written here and property-tested
(tests/test_sms_segments.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic character set, in table order (0x00-0x7F); 0x1B (escape) is left out.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table (each costs an escape septet plus itself).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_CAPACITY = {GSM7: 160, UCS2: 70}
MULTI_CAPACITY = {GSM7: 153, UCS2: 67}

# A sentence ends at . ! ? … (and the Arabic, Urdu and CJK full stops and question marks),
# optionally followed by closing quotes or brackets, then whitespace; or at a line break.
_SENTENCE_END = re.compile(r"(?:[.!?…؟۔。！？]+[\"'”’»)\]]*(?=\s)|\n)")
_WORD_END = re.compile(r"\S(?=\s)")


@dataclass(frozen=True)
class SegmentInfo:
    """The encoding a text needs, its length in that encoding's units, and its segment count."""

    encoding: str
    units: int
    segments: int

    @property
    def per_segment(self) -> int:
        """Room in each segment of this message (160/70 for one segment, 153/67 otherwise)."""
        return SINGLE_CAPACITY[self.encoding] if self.segments <= 1 else MULTI_CAPACITY[self.encoding]


def is_gsm7(text: str) -> bool:
    """True when every character can be sent in the GSM 7-bit alphabet (basic or extension)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encoding(text: str) -> str:
    """``"GSM-7"`` or ``"UCS-2"``: the encoding a phone network will use for this text."""
    return GSM7 if is_gsm7(text) else UCS2


def _char_units(ch: str, enc: str) -> int:
    if enc == GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def units(text: str) -> int:
    """Length in septets (GSM-7) or UTF-16 code units (UCS-2)."""
    enc = encoding(text)
    return sum(_char_units(ch, enc) for ch in text)


def split_segments(text: str) -> list[str]:
    """Split ``text`` into the parts a network would send, never splitting an escape or a pair.

    An empty text is no segment at all.
    """
    if not text:
        return []
    enc = encoding(text)
    weights = [_char_units(ch, enc) for ch in text]
    if sum(weights) <= SINGLE_CAPACITY[enc]:
        return [text]
    cap = MULTI_CAPACITY[enc]
    parts: list[str] = []
    start, used = 0, 0
    for i, w in enumerate(weights):
        if used + w > cap:
            parts.append(text[start:i])
            start, used = i, 0
        used += w
    parts.append(text[start:])
    return parts


def segment_count(text: str) -> int:
    """Number of SMS segments ``text`` is sent as (0 for an empty text)."""
    return len(split_segments(text))


def segment_info(text: str) -> SegmentInfo:
    """Encoding, unit length and segment count in one call (for reports and the locale check)."""
    return SegmentInfo(encoding=encoding(text), units=units(text), segments=segment_count(text))


def fits(text: str, max_segments: int = 3) -> bool:
    """True when ``text`` is sent in at most ``max_segments`` segments."""
    return segment_count(text) <= max_segments


def trim_to_segments(text: str, max_segments: int = 3, *, marker: str = "...") -> str:
    """Shorten ``text`` to at most ``max_segments`` segments, cutting between sentences.

    Why: a reply that is cut mid-sentence can say the opposite of what was meant ("you should
    not be punished" cut to "you should"), so whole sentences are kept whenever at least one
    fits. Failing that, the cut falls after the last whole word and ``marker`` is appended; only
    a text with no usable word break is cut by characters. The result is always a prefix of the
    text (plus the marker when a sentence had to be cut) and always fits.
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if fits(text, max_segments):
        return text

    # Whole sentences: the longest prefix ending at a sentence boundary that fits.
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    for end in reversed(ends):
        candidate = text[:end].rstrip()
        if candidate and fits(candidate, max_segments):
            return candidate

    # Whole words plus a marker.
    marker_fits = fits(marker, max_segments)
    for m in reversed(list(_WORD_END.finditer(text))):
        candidate = text[: m.end()].rstrip()
        if candidate and marker_fits and fits(candidate + marker, max_segments):
            return candidate + marker

    # Characters (one long word, or no room for the marker): largest fitting prefix.
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(text[:mid], max_segments):
            lo = mid
        else:
            hi = mid - 1
    # Never leave half a surrogate pair (cannot happen with str indexing, but keep it explicit).
    return text[:lo]
