"""The `hotline` console script.

Sub-commands live beside the code they drive (``hotline/<part>/cli.py``) and are imported only
when called, so `hotline triage` does not pay for FastAPI or Twilio imports and one part's broken
import cannot take down the others.
"""
from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "serve": "hotline.supervisor:serve_command",
    "triage": "hotline.triage.cli:triage_command",
    "triage-eval": "hotline.triage.cli:eval_command",
    "langid-eval": "hotline.language.cli:eval_command",
    "staff": "hotline.staff.cli:staff_group",
    "models": "hotline.translation.cli:models_group",
    "locales": "hotline.i18n_cli:locales_group",
    "db": "hotline.storage.cli:db_group",
    "retention": "hotline.retention:retention_group",
}


class LazyGroup(click.Group):
    """A click group that imports each sub-command on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup)
def main() -> None:
    """Hotline: multilingual, trauma-informed assistant and triage for trafficking response."""


if __name__ == "__main__":  # pragma: no cover
    main()
