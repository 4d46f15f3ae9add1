"""The jurisdiction profile: the country-dependent facts the product tells people.

Why a separate profile: rights and numbers differ between countries (seeds/001 L6853-6855,
L7958), and the seeds' figures are recommended minimums, not any one country's law (seed notes
R-3.2, RIGHTS-03). Wording in ``locales/*.yml`` therefore never hard-codes a number: it uses
``{emergency_number}``, ``{hotline_number}``, ``{child_helpline}`` and ``{reflection_days}``, which
come from here. A deployment points ``HOTLINE_JURISDICTION_FILE`` at its own reviewed copy of
``hotline/jurisdictions/default.yml``; without it the packaged default is used (documented there).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

ENV_VAR = "HOTLINE_JURISDICTION_FILE"
DEFAULT_FILE = Path(__file__).resolve().parent / "jurisdictions" / "default.yml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ]*[0-9]$|^[0-9]$")


class JurisdictionError(ValueError):
    """The profile file is missing a field or holds a value the product cannot use safely."""


@dataclass(frozen=True)
class Partner:
    """An organisation the hotline refers people to (shown by workers, and in no_staff replies)."""

    name: str
    number: str | None = None
    kind: str = "other"
    notes: str = ""


@dataclass(frozen=True)
class StaffHours:
    """When hotline workers answer, in local time; ranges may cross midnight ("22:00-06:00")."""

    timezone: str
    weekly: dict[str, tuple[tuple[time, time], ...]]

    def is_open(self, at: datetime | None = None) -> bool:
        """True when a worker should be on shift at ``at`` (default: now)."""
        at = at or datetime.now(timezone.utc)
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        local = at.astimezone(ZoneInfo(self.timezone))
        today = DAYS[local.weekday()]
        yesterday = DAYS[(local.weekday() - 1) % 7]
        now = local.time()
        for start, end in self.weekly.get(today, ()):
            if start < end and start <= now < end:
                return True
            if start >= end and now >= start:  # overnight range, evening part
                return True
        for start, end in self.weekly.get(yesterday, ()):
            if start >= end and now < end:  # overnight range begun yesterday
                return True
        return False

    def always_open(self) -> bool:
        """True for a 24/7 service (every day 00:00-24:00, written as "00:00-00:00")."""
        return all(
            any(start == end for start, end in self.weekly.get(day, ())) for day in DAYS
        )


@dataclass(frozen=True)
class Jurisdiction:
    """One deployment's country profile. Build it with :func:`load`, never by hand in code."""

    code: str
    name: str
    emergency_number: str
    hotline_number: str
    child_helpline: str
    reflection_days: int
    reflection_days_source: str
    mandatory_child_reporting: bool
    staff_hours: StaffHours
    partners: tuple[Partner, ...] = ()
    verified: bool = False
    reviewed_by: str | None = None
    reviewed_on: str | None = None
    path: Path | None = field(default=None, compare=False)

    def placeholders(self) -> dict[str, str]:
        """The locale placeholders this profile fills, as strings ready for ``str.format``."""
        return {
            "emergency_number": self.emergency_number,
            "hotline_number": self.hotline_number,
            "child_helpline": self.child_helpline,
            "reflection_days": str(self.reflection_days),
        }

    def staffed_now(self, at: datetime | None = None) -> bool:
        """Whether workers are on shift (the handover part still checks who is actually online)."""
        return self.staff_hours.is_open(at)


def _require(data: dict[str, Any], name: str, path: Path) -> Any:
    if name not in data or data[name] in (None, ""):
        raise JurisdictionError(f"{path}: missing '{name}'")
    return data[name]


def _phone(data: dict[str, Any], name: str, path: Path) -> str:
    value = str(_require(data, name, path)).strip()
    if not _PHONE.match(value):
        raise JurisdictionError(f"{path}: '{name}' must be digits (spaces and a leading + allowed)")
    return value


def _parse_hours(raw: Any, path: Path) -> StaffHours:
    if not isinstance(raw, dict):
        raise JurisdictionError(f"{path}: 'staff_hours' must be a mapping")
    tz = str(raw.get("timezone") or "")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise JurisdictionError(f"{path}: unknown staff_hours timezone {tz!r}") from exc
    weekly_raw = raw.get("weekly") or {}
    if not isinstance(weekly_raw, dict):
        raise JurisdictionError(f"{path}: 'staff_hours.weekly' must be a mapping of day to ranges")
    weekly: dict[str, tuple[tuple[time, time], ...]] = {}
    for day, ranges in weekly_raw.items():
        if day not in DAYS:
            raise JurisdictionError(f"{path}: unknown day {day!r} in staff_hours (use {', '.join(DAYS)})")
        parsed = []
        for item in ranges or []:
            m = _RANGE.match(str(item).strip())
            if not m:
                raise JurisdictionError(f"{path}: staff_hours range {item!r} is not HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            if h2 == 24 and m2 == 0:
                h2 = 0
            if not (0 <= h1 < 24 and 0 <= m1 < 60 and 0 <= h2 < 24 and 0 <= m2 < 60):
                raise JurisdictionError(f"{path}: staff_hours range {item!r} is not a valid time")
            parsed.append((time(h1, m1), time(h2, m2)))
        weekly[day] = tuple(parsed)
    return StaffHours(timezone=tz, weekly=weekly)


def load(path: str | Path | None = None) -> Jurisdiction:
    """Read and validate a profile: ``path``, else ``$HOTLINE_JURISDICTION_FILE``, else the default."""
    chosen = Path(path or os.environ.get(ENV_VAR) or DEFAULT_FILE)
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise JurisdictionError(f"jurisdiction file not found: {chosen}") from exc
    if not isinstance(data, dict):
        raise JurisdictionError(f"{chosen}: the profile must be a mapping")
    days = _require(data, "reflection_days", chosen)
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        raise JurisdictionError(f"{chosen}: 'reflection_days' must be a positive whole number")
    source = str(_require(data, "reflection_days_source", chosen))
    mandatory = data.get("mandatory_child_reporting")
    if not isinstance(mandatory, bool):
        raise JurisdictionError(f"{chosen}: 'mandatory_child_reporting' must be true or false")
    partners = []
    for item in data.get("partners") or []:
        if not isinstance(item, dict) or not item.get("name"):
            raise JurisdictionError(f"{chosen}: every partner needs a name")
        number = item.get("number")
        partners.append(Partner(name=str(item["name"]), number=str(number) if number else None,
                                kind=str(item.get("kind") or "other"), notes=str(item.get("notes") or "")))
    return Jurisdiction(
        code=str(data.get("code") or chosen.stem),
        name=str(data.get("name") or chosen.stem),
        emergency_number=_phone(data, "emergency_number", chosen),
        hotline_number=_phone(data, "hotline_number", chosen),
        child_helpline=_phone(data, "child_helpline", chosen),
        reflection_days=days,
        reflection_days_source=source,
        mandatory_child_reporting=mandatory,
        staff_hours=_parse_hours(_require(data, "staff_hours", chosen), chosen),
        partners=tuple(partners),
        verified=bool(data.get("verified", False)),
        reviewed_by=data.get("reviewed_by"),
        reviewed_on=str(data["reviewed_on"]) if data.get("reviewed_on") else None,
        path=chosen,
    )


@lru_cache(maxsize=8)
def _cached(path_key: str) -> Jurisdiction:
    return load(path_key or None)


def current() -> Jurisdiction:
    """The profile in force, loaded once per file (``reload()`` after changing the file)."""
    return _cached(os.environ.get(ENV_VAR) or "")


def reload() -> None:
    """Forget loaded profiles (tests and operators who edit the file in a running process)."""
    _cached.cache_clear()


def next_opening(hours: StaffHours, at: datetime | None = None, *, horizon_days: int = 8) -> datetime | None:
    """When workers are next on shift after ``at`` (minute precision), or None if never."""
    at = (at or datetime.now(timezone.utc)).replace(second=0, microsecond=0)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    step = timedelta(minutes=1)
    for i in range(horizon_days * 24 * 60):
        moment = at + i * step
        if hours.is_open(moment):
            return moment
    return None
