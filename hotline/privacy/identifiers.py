"""Keyed hashes of identifiers (phone numbers, IPs).

A returning sender must be recognised without keeping their number: HMAC-SHA256 with the
deployment's secret gives a stable pseudonym that cannot be reversed or brute-forced from the
hash alone (phone numbers are a small space; a plain hash would not protect them). POLICY.md §5.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from hotline.privacy.keys import get_keyring

_NON_DIGITS = re.compile(r"[^\d+]")


def normalise_phone(number: str) -> str:
    """Canonical form for hashing: keep '+' and digits, so '+40 712-345' and '+40712345' match."""
    return _NON_DIGITS.sub("", number.strip())


def hash_identifier(value: str, kind: str = "phone") -> str:
    """Hex HMAC of ``kind:value``; kinds are separated so a phone hash never equals an IP hash."""
    if kind == "phone":
        value = normalise_phone(value)
    mac = hmac.new(get_keyring().hmac_key, f"{kind}:{value}".encode(), hashlib.sha256)
    return mac.hexdigest()


def redact_phone(number: str) -> str:
    """For the staff console: last two digits only, e.g. '••• •• 45'."""
    digits = normalise_phone(number)
    return "•••" + digits[-2:] if len(digits) >= 2 else "•••"
