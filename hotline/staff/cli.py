"""`hotline staff add|disable|list`: staff accounts from the command line.

The password is prompted (hidden, twice) or read from standard input with --password-stdin, never
taken as an argument: arguments end up in shell history and in the process list.
"""
from __future__ import annotations

import sys

import click

from hotline.staff.accounts import AccountError, add_staff, disable_staff, list_staff
from hotline.staff.auth import ROLES
from hotline.storage import db
from hotline.storage.db import session_scope


@click.group("staff")
def staff_group() -> None:
    """Staff accounts of the console (/staff)."""


@staff_group.command("add")
@click.argument("username")
@click.option("--first-name", required=True, help="Shown to the person when this worker joins.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--language", default="en", show_default=True, help="The worker's language (translations).")
@click.option("--phone", default=None, help="International number for warm call transfers, e.g. +40712345678.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def add_command(username: str, first_name: str, role: str, language: str, phone: str | None,
                password_stdin: bool) -> None:
    """Create a staff account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    db.migrate()
    try:
        with session_scope() as s:
            user = add_staff(s, username, first_name, role, password, language=language, phone=phone)
            name, chosen_role = user.username, user.role
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"added {chosen_role} {name}")


@staff_group.command("disable")
@click.argument("username")
def disable_command(username: str) -> None:
    """Disable an account: no login, current sessions end, off duty."""
    db.migrate()
    try:
        with session_scope() as s:
            disable_staff(s, username)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"disabled {username.strip().lower()}")


@staff_group.command("list")
def list_command() -> None:
    """List staff accounts (no hashes, no phone numbers)."""
    db.migrate()
    with session_scope() as s:
        rows = list_staff(s)
    if not rows:
        click.echo("no staff accounts")
        return
    click.echo(f"{'username':<20} {'first name':<16} {'role':<11} lang  on duty  state")
    for r in rows:
        state = "disabled" if r.disabled else "locked" if r.locked else "active"
        click.echo(f"{r.username:<20} {r.first_name:<16} {r.role:<11} {r.language:<5} "
                   f"{'yes' if r.on_duty else 'no':<8} {state}")
