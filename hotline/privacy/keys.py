"""Secret keys of the deployment.

One secret (``HOTLINE_SECRET_KEY`` or a random one generated once into ``var/secret.key`` with mode
0600) is stretched with HKDF into independent keys: one for keyed hashes of identifiers (HMAC) and
one for encryption at rest (Fernet). Deriving both from one secret keeps operations simple: one
value to back up, nothing to keep in sync.
"""
from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hotline.settings import get_settings


@dataclass(frozen=True)
class Keyring:
    hmac_key: bytes
    fernet_key: bytes
    session_key: bytes


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hotline-v1", info=purpose).derive(secret)


def _load_secret() -> bytes:
    settings = get_settings()
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.var_dir / "secret.key"
    if not path.exists():
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


@lru_cache(maxsize=1)
def get_keyring() -> Keyring:
    secret = _load_secret()
    return Keyring(
        hmac_key=_derive(secret, b"identifier-hmac"),
        fernet_key=base64.urlsafe_b64encode(_derive(secret, b"at-rest-fernet")),
        session_key=_derive(secret, b"staff-session"),
    )


def reset_keyring() -> None:
    get_keyring.cache_clear()
