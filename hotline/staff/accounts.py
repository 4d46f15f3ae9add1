"""Staff accounts: add, disable, list. Used by `hotline staff ...` (cli.py).

Accounts are made on the command line by whoever runs the service, not through the web console:
creating a login that can read survivors' conversations is an operator's decision, and it is
audited like every other staff action.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import i18n
from hotline.staff import audit
from hotline.staff.auth import ROLES, hash_password
from hotline.storage.models import StaffUser

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountError(ValueError):
    """A request the command line refuses, with a message for the operator."""


@dataclass(frozen=True)
class StaffRow:
    username: str
    first_name: str
    role: str
    language: str
    on_duty: bool
    disabled: bool
    locked: bool
    has_phone: bool


def normalise_phone(phone: str) -> str:
    """E.164, or AccountError: a worker's number is dialled for warm call transfers."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException as exc:
        raise AccountError("the phone number must be in international form, e.g. +40712345678") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise AccountError("the phone number is not a valid number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def add_staff(session: Session, username: str, first_name: str, role: str, password: str,
              language: str = "en", phone: str | None = None) -> StaffUser:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise AccountError("the username must be 2-64 characters: lower-case letters, digits, . _ -")
    first_name = first_name.strip()
    if not first_name or len(first_name) > 64:
        raise AccountError("the first name is required (it is what the person sees), at most 64 characters")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    if language not in i18n.supported_languages():
        raise AccountError(f"unsupported language {language!r}; one of {', '.join(i18n.supported_languages())}")
    if session.scalars(select(StaffUser).where(StaffUser.username == username)).first() is not None:
        raise AccountError(f"a staff account named {username!r} already exists")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    user = StaffUser(username=username, first_name=first_name, role=role, language=language,
                     password_hash=password_hash, phone_enc=normalise_phone(phone) if phone else None)
    session.add(user)
    session.flush()
    audit.record(session, "staff_added", target=username, role=role, language=language, via="cli")
    return user


def disable_staff(session: Session, username: str) -> StaffUser:
    """Disabled accounts cannot log in, their sessions stop working at once and they go off duty.
    The row stays: handovers and audit entries still name who did what."""
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip().lower())).first()
    if user is None:
        raise AccountError(f"no staff account named {username!r}")
    user.disabled = True
    user.on_duty = False
    audit.record(session, "staff_disabled", target=user.username, via="cli")
    return user


def list_staff(session: Session) -> list[StaffRow]:
    from hotline.storage.models import as_utc, utcnow

    now = utcnow()
    rows = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return [StaffRow(u.username, u.first_name, u.role, u.language, bool(u.on_duty), bool(u.disabled),
                     bool(u.locked_until and as_utc(u.locked_until) > now), bool(u.phone_enc)) for u in rows]
