"""`hotline staff add|disable|list` through click's runner and through the installed console script."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select, text

from hotline.staff.cli import staff_group
from hotline.storage.db import session_scope
from hotline.storage.models import AuditEntry, StaffUser
from test_staff_fixtures import PASSWORD

REPO = Path(__file__).resolve().parent.parent


def test_add_with_password_on_stdin_then_list_and_disable(hotline_env: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(staff_group, ["add", "Ana.P", "--first-name", "Ana", "--role", "worker", "--language", "ro",
                                         "--phone", "+40 712 345 678", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "added worker ana.p" in result.output
    with session_scope() as s:
        user = s.scalars(select(StaffUser)).one()
        assert (user.username, user.first_name, user.role, user.language) == ("ana.p", "Ana", "worker", "ro")
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert user.phone_enc == "+40712345678"
        raw_phone = s.execute(text("SELECT phone_enc FROM staff_users")).scalar_one()
        assert "712345678" not in raw_phone  # encrypted at rest
    listing = runner.invoke(staff_group, ["list"])
    assert listing.exit_code == 0 and "ana.p" in listing.output and "active" in listing.output
    assert "712345678" not in listing.output and "$argon2" not in listing.output
    assert runner.invoke(staff_group, ["disable", "ana.p"]).exit_code == 0
    assert "disabled" in runner.invoke(staff_group, ["list"]).output
    with session_scope() as s:
        actions = [(a.action, a.target) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == [("staff_added", "ana.p"), ("staff_disabled", "ana.p")]


def test_prompted_password_must_be_confirmed(hotline_env: Path) -> None:
    runner = CliRunner()
    mismatch = runner.invoke(staff_group, ["add", "bo", "--first-name", "Bo", "--role", "supervisor"],
                             input=PASSWORD + "\n" + "something else entirely\n" + PASSWORD + "\n" + PASSWORD + "\n")
    assert mismatch.exit_code == 0, mismatch.output  # asked again after the mismatch
    assert "do not match" in mismatch.output.lower() or "don't match" in mismatch.output.lower()
    assert "added supervisor bo" in mismatch.output


def test_refusals(hotline_env: Path) -> None:
    runner = CliRunner()
    base = ["--first-name", "Ana", "--role", "worker", "--password-stdin"]
    assert runner.invoke(staff_group, ["add", "ana", *base], input="short\n").exit_code == 1  # too short
    assert runner.invoke(staff_group, ["add", "ana", *base, "--language", "xx"], input=PASSWORD + "\n").exit_code == 1
    assert runner.invoke(staff_group, ["add", "ana", *base, "--phone", "12"], input=PASSWORD + "\n").exit_code == 1
    assert runner.invoke(staff_group, ["add", "bad name!", *base], input=PASSWORD + "\n").exit_code == 1
    bad_role = runner.invoke(staff_group, ["add", "ana", "--first-name", "Ana", "--role", "admin", "--password-stdin"],
                             input=PASSWORD + "\n")
    assert bad_role.exit_code == 2
    assert runner.invoke(staff_group, ["add", "ana", *base], input=PASSWORD + "\n").exit_code == 0
    duplicate = runner.invoke(staff_group, ["add", "ANA", *base], input=PASSWORD + "\n")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    missing = runner.invoke(staff_group, ["disable", "nobody"])
    assert missing.exit_code == 1 and "no staff account" in missing.output
    with session_scope() as s:
        assert len(s.scalars(select(StaffUser)).all()) == 1


def test_console_script_maps_hotline_staff(hotline_env: Path) -> None:
    env = {**os.environ, "HOTLINE_VAR_DIR": str(hotline_env), "HOTLINE_SECRET_KEY": "test-secret-not-for-production"}
    env.pop("HOTLINE_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "hotline", "staff", "list"], capture_output=True, text=True,
                            cwd=REPO, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "no staff accounts" in result.stdout
