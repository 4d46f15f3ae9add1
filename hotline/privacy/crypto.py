"""Encryption at rest for message bodies, contact details and private notes.

Fernet (AES-128-CBC + HMAC) from ``cryptography``: authenticated, with a timestamp, and easy to
rotate with MultiFernet later. The SQLAlchemy column types in ``hotline.storage.types`` use it, so
nothing readable reaches the database files or their backups.
"""
from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from hotline.privacy.keys import get_keyring


@lru_cache(maxsize=1)
def _fernet() -> Fernet:
    return Fernet(get_keyring().fernet_key)


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:  # wrong key or tampered row: never guess
        raise ValueError("encrypted value cannot be read with this deployment's key") from exc


def reset_crypto() -> None:
    _fernet.cache_clear()
