"""HTTP client for the Rasa server.

Rasa is an internal service: the hotline asks it for an intent ranking (``/model/parse``, one
signal for triage) and for the dialogue's next replies (REST channel webhook). Both calls have
short time limits, and every failure is reported as ``AssistantUnavailable`` so the conversation
core can answer without the bot: triage and the safety reply never wait on Rasa.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from hotline.settings import get_settings


class AssistantUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


@dataclass
class ParseResult:
    intent: str | None
    confidence: float
    ranking: list[dict[str, Any]]


@dataclass
class BotReply:
    key: str
    directive: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


class AssistantClient:
    def __init__(self, base_url: str | None = None, timeout: float | None = None,
                 parse_timeout: float | None = None) -> None:
        settings = get_settings()
        self.base_url = (base_url or settings.rasa_url).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.bot_timeout_seconds
        self.parse_timeout = parse_timeout if parse_timeout is not None else settings.parse_timeout_seconds
        self._http = httpx.Client(base_url=self.base_url, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def parse(self, text: str) -> ParseResult:
        try:
            resp = self._http.post("/model/parse", json={"text": text}, timeout=self.parse_timeout)
            resp.raise_for_status()
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AssistantUnavailable(type(exc).__name__) from exc
        intent = data.get("intent") or {}
        return ParseResult(intent=intent.get("name"), confidence=float(intent.get("confidence") or 0.0),
                           ranking=list(data.get("intent_ranking") or []))

    def send(self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[BotReply]:
        payload = {"sender": conversation_id, "message": text, "metadata": metadata or {}}
        try:
            resp = self._http.post("/webhooks/rest/webhook", json=payload, timeout=self.timeout)
            resp.raise_for_status()
            items = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AssistantUnavailable(type(exc).__name__) from exc
        replies: list[BotReply] = []
        for item in items or []:
            custom = item.get("custom")
            if isinstance(custom, dict) and custom.get("key"):
                replies.append(BotReply(key=str(custom["key"]), directive=custom.get("directive"),
                                        params=dict(custom.get("params") or {})))
        return replies

    def status(self) -> dict[str, Any]:
        try:
            resp = self._http.get("/status", timeout=1.0)
            resp.raise_for_status()
            return resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AssistantUnavailable(type(exc).__name__) from exc
