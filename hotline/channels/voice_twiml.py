"""TwiML building blocks for calls: speech in the right voice, listening in the right language.

Why a module of its own: every prompt must be spoken with the voice of its language and every
``<Gather>`` must listen in the caller's language (anchors-notes.md §5.4: ``language`` on every
Gather and Say), and no TwiML this service returns may record (POLICY.md §8: calls are not
recorded; S004 L290). Keeping the few TwiML shapes here makes both rules hold everywhere.
"""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline import i18n
from hotline.language.choice import menu_order

# Seconds of silence before a <Gather> gives up; DTMF callers who whisper get the same time.
FIRST_WINDOW_TIMEOUT = 3
MENU_TIMEOUT = 4
TURN_TIMEOUT = 8


def url(path: str, **query: object) -> str:
    """An action URL relative to this service (Twilio resolves it against the request it made)."""
    pairs = {k: str(v) for k, v in query.items() if v is not None and v != ""}
    return path + ("?" + urlencode(pairs) if pairs else "")


def xml(response: VoiceResponse, background=None) -> Response:  # type: ignore[no-untyped-def]
    return Response(content=str(response), media_type="application/xml", background=background)


def say(node: VoiceResponse | Gather, text: str, lang: str) -> None:
    """``<Say>`` with the language's own voice (locales/<code>.yml ``voice``)."""
    if not text:
        return
    settings = i18n.voice_settings(lang)
    node.say(text, voice=settings.get("say_voice"), language=settings.get("say_language"))


def gather(action: str, lang: str, *, input_: str = "speech dtmf", num_digits: int | None = 1,
           timeout: int = TURN_TIMEOUT, hints: list[str] | None = None, finish_on_key: str | None = None) -> Gather:
    """A ``<Gather>`` listening in ``lang``; an empty result still reaches ``action`` so that
    silence is answered by this service, gently, never by Twilio hanging up."""
    settings = i18n.voice_settings(lang)
    kwargs: dict[str, object] = {"input": input_, "action": action, "method": "POST", "timeout": timeout,
                                 "action_on_empty_result": True, "language": settings.get("gather_language")}
    if "speech" in input_:
        kwargs["speech_timeout"] = "auto"
    if num_digits:
        kwargs["num_digits"] = num_digits
    if finish_on_key is not None:
        kwargs["finish_on_key"] = finish_on_key
    if hints:
        kwargs["hints"] = ", ".join(dict.fromkeys(h for h in hints if h))[:1000]
    return Gather(**kwargs)


def keypad() -> dict[str, str]:
    """Key sequence -> language, from each locale's own ``voice.dtmf_digit`` (CONTRACTS.md). A
    locale without one gets its position in the menu, if that key is free."""
    mapping: dict[str, str] = {}
    supported = i18n.supported_languages()
    order = [code for code in menu_order() if code in supported]
    for code in order:
        digit = i18n.get_locale(code).voice.get("dtmf_digit") if i18n.get_locale(code).code == code else None
        if digit is not None and str(digit) not in mapping:
            mapping[str(digit)] = code
    for position, code in enumerate(order, 1):
        if code not in mapping.values() and str(position) not in mapping:
            mapping[str(position)] = code
    return mapping


def menu_digits_needed() -> int:
    return max((len(k) for k in keypad()), default=1)


def hangup(response: VoiceResponse) -> VoiceResponse:
    response.hangup()
    return response
