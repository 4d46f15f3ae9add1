"""Staff authentication: argon2 password hashes, lockout, signed session cookies and CSRF tokens.

Why these choices:
- argon2id (argon2-cffi's defaults) is memory-hard, so a stolen staff table is slow to crack.
- After ``MAX_FAILED_LOGINS`` wrong passwords an account is locked for ``LOCKOUT``; the count is kept
  per account (never per IP: IPs are not stored, POLICY.md §5). A locked account refuses even the
  right password until the time is up, and every step is audited.
- The session is a cookie signed with a key derived from the deployment secret (keys.session_key),
  HttpOnly, SameSite=Strict, Secure over https, scoped to /staff and expiring after
  ``SESSION_MAX_AGE``. It carries a fingerprint of the password hash, so a password change ends old
  sessions, and a random session id, so logging out (recorded in the audit log) ends that session
  in every service process.
- Every state-changing request carries a CSRF token bound to the session id (HMAC), checked in
  constant time; the login form has its own token bound to a pre-login cookie (double submit).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.privacy.keys import get_keyring
from hotline.staff import audit
from hotline.storage.models import AuditEntry, StaffUser, as_utc, utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_MAX_AGE = 12 * 3600  # one long shift; then log in again
SESSION_COOKIE = "hotline_staff"
LOGIN_COOKIE = "hotline_staff_login"
COOKIE_PATH = "/staff"
ROLES = ("worker", "supervisor")
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str  # ok | bad_credentials | locked | disabled
    staff_id: int | None = None
    cookie: str | None = None


def authenticate(session: Session, username: str, password: str) -> LoginResult:
    """Check a login and apply the lockout rule; writes the audit rows in ``session``.

    The page shows the same message for an unknown user, a wrong password and a disabled account,
    so the form cannot be used to find out which usernames exist; only the lockout is said as such
    (the worker needs to know to wait or call a supervisor)."""
    now = utcnow()
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip().lower())).first()
    if user is None:
        verify_password(_DUMMY_HASH, password)
        audit.record(session, "login_failed", reason="unknown_user")
        return LoginResult(False, "bad_credentials")
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        audit.record(session, "login_refused_locked", staff_id=user.id)
        return LoginResult(False, "locked", user.id)
    if user.disabled:
        verify_password(_DUMMY_HASH, password)
        audit.record(session, "login_failed", staff_id=user.id, reason="disabled")
        return LoginResult(False, "bad_credentials", user.id)
    if not verify_password(user.password_hash, password):
        # One atomic increment: two wrong guesses at the same moment both count.
        session.execute(update(StaffUser).where(StaffUser.id == user.id)
                        .values(failed_logins=StaffUser.failed_logins + 1))
        session.refresh(user)
        audit.record(session, "login_failed", staff_id=user.id, reason="bad_password",
                     failed_logins=user.failed_logins)
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            audit.record(session, "lockout", staff_id=user.id, reason="failed_logins")
            return LoginResult(False, "locked", user.id)
        return LoginResult(False, "bad_credentials", user.id)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_seen_at = now
    audit.record(session, "login", staff_id=user.id)
    return LoginResult(True, "ok", user.id, issue_session(user))


# ----------------------------------------------------------------------------- sessions
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_keyring().session_key, salt="hotline-staff-session")


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def issue_session(user: StaffUser) -> str:
    return _serializer().dumps({"u": user.id, "s": secrets.token_urlsafe(16), "p": _fingerprint(user.password_hash)})


@dataclass(frozen=True)
class StaffSession:
    """The logged-in staff member, as read from a valid session cookie and the database."""

    staff_id: int
    session_id: str
    username: str
    first_name: str
    role: str
    language: str
    on_duty: bool

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_id)


def read_session(session: Session, cookie: str | None) -> StaffSession | None:
    """The staff member for a cookie, or None when it is missing, forged, expired, logged out,
    from before a password change, or the account is disabled."""
    if not cookie:
        return None
    try:
        data = _serializer().loads(cookie, max_age=SESSION_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("s"), str):
        return None
    user = session.get(StaffUser, data["u"])
    if user is None or user.disabled or not hmac.compare_digest(str(data.get("p")), _fingerprint(user.password_hash)):
        return None
    revoked = session.scalars(select(AuditEntry.id).where(AuditEntry.action == "logout",
                                                          AuditEntry.target == data["s"])).first()
    if revoked is not None:
        return None
    return StaffSession(user.id, data["s"], user.username, user.first_name, user.role, user.language or "en",
                        bool(user.on_duty))


def end_session(session: Session, staff: StaffSession) -> None:
    """Log out: the session id is recorded, and read_session refuses it from then on."""
    user = session.get(StaffUser, staff.staff_id)
    if user is not None:
        user.on_duty = False
    audit.record(session, "logout", staff_id=staff.staff_id, target=staff.session_id)


# ----------------------------------------------------------------------------- CSRF
def _mac(purpose: str, value: str) -> str:
    return hmac.new(get_keyring().session_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(session_id: str) -> str:
    return _mac("csrf", session_id)


def check_csrf(staff: StaffSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token(staff.session_id), str(token))


def new_login_nonce() -> str:
    return secrets.token_urlsafe(16)


def login_csrf_token(nonce: str) -> str:
    return _mac("login", nonce)


def check_login_csrf(nonce: str | None, token: str | None) -> bool:
    return bool(nonce) and bool(token) and hmac.compare_digest(login_csrf_token(str(nonce)), str(token))
