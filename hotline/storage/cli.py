"""`hotline db ...`: schema migrations."""
from __future__ import annotations

import click

from hotline.storage.db import migrate


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def upgrade() -> None:
    """Create or upgrade the schema to the newest migration."""
    migrate()
    click.echo("database schema is up to date")
