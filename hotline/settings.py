"""Configuration of the hotline service, read from the environment (prefix ``HOTLINE_``).

Everything has an embedded default so that a fresh clone runs with SQLite under ``var/`` and Rasa
on loopback; PostgreSQL and Redis are turned on by configuration only.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    var_dir: Path = REPO_ROOT / "var"
    database_url: str | None = None  # default: sqlite:///<var_dir>/hotline.db
    redis_url: str | None = None  # live events across processes; in-process bus when unset
    secret_key: str | None = None  # default: generated once into <var_dir>/secret.key

    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    # A P0 reply never waits for the dialogue (only for the intent ranking, at most
    # parse_timeout_seconds), so it stays inside the 2 s budget (issue 3) even when Rasa is slow.
    # Other turns wait longer for the dialogue: giving up early would desynchronise Rasa's forms.
    bot_timeout_seconds: float = 6.0
    parse_timeout_seconds: float = 0.5

    default_language: str = "en"
    staff_language: str = "en"
    quick_exit_url: str = "https://www.bbc.com/weather"

    # Queue escalation (issue 3): supervisor alerted and person told when a handover waits longer.
    escalate_p0_seconds: int = 60
    escalate_p1_seconds: int = 300
    queue_aging_seconds_per_tier: int = 600  # a lower tier gains one tier of priority per this wait

    # Retention (POLICY.md §4), enforced by the scheduled purge (hotline/retention.py).
    retention_conversation_days: int = 30  # conversations with no handover, after the last message
    retention_handover_days: int = 90  # handover records and transcripts, after the case closed
    retention_audit_days: int = 365  # the audit log (never holds content)
    retention_interval_seconds: int = 3600

    # Twilio (issue 4). TWILIO_* names are Twilio's own conventions.
    public_base_url: str | None = None  # e.g. https://hotline.example.org behind a proxy
    twilio_auth_token: str | None = Field(default=None, validation_alias="TWILIO_AUTH_TOKEN")
    twilio_account_sid: str | None = Field(default=None, validation_alias="TWILIO_ACCOUNT_SID")
    twilio_from_number: str | None = Field(default=None, validation_alias="TWILIO_FROM_NUMBER")
    twilio_api_base: str | None = Field(default=None, validation_alias="TWILIO_API_BASE")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'hotline.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between app instances)."""
    get_settings.cache_clear()
