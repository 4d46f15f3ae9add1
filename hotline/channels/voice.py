"""Twilio voice channel: the phone line in front of the same assistant and triage as the chat.

A call, as Twilio's webhooks walk it (every request signature-checked, 403 otherwise):

1. ``POST /twilio/voice`` - a short greeting (automated, not recorded) and the emergency option
   first: hang up and call the emergency number, or press 9 for a person now (TRIAGE.md; S004 L252).
   A caller who knows the menu can press their language's key here already.
2. ``/twilio/voice/menu`` - the language menu, each language's own prompt in its own voice, by
   keypad or by speech (anchors-notes.md §5.4: DTMF is the reliable path for whispering or
   distressed callers). Keys are the locales' ``voice.dtmf_digit``, 1 to 12, so the menu takes up
   to two digits: a single key is taken after a short pause, ``#`` ends an entry at once.
3. ``/twilio/voice/turn`` - what the caller says goes to the conversation core as channel
   "voice", exactly like a chat message; the replies are spoken in the language's voice, inside
   the next ``<Gather>`` so the caller can interrupt. The person key works at every step.
4. A person: the warm transfer (hotline/channels/voice_transfer.py) or the no-staff path.

Silence and unrecognised input get a gentle repeat and then a way out (the person key, the
emergency number, hanging up and calling back); a P0 caller who stays silent after "stay on the
line and I will try to connect you" is connected, as promised. Nothing is recorded: no
``<Record>``, ``record="do-not-record"`` on every ``<Dial>`` and ``<Conference>`` (POLICY.md §8).
The conversation id is a keyed hash of the CallSid; the caller's number is kept only as a keyed
hash, and encrypted only when they leave a time to be called back (POLICY.md §5).
"""
from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.background import BackgroundTask
from twilio.twiml.voice_response import VoiceResponse

from hotline import i18n
from hotline.channels import voice_transfer as transfer
from hotline.channels.twilio_common import calling_code, verified_form
from hotline.channels.voice_twiml import (
    FIRST_WINDOW_TIMEOUT,
    MENU_TIMEOUT,
    gather,
    keypad,
    menu_digits_needed,
    say,
    url,
    xml,
)
from hotline.conversation.types import InboundTurn, TurnResult
from hotline.language.choice import parse_language_choice
from hotline.language.languages import country_priors
from hotline.privacy.identifiers import hash_identifier
from hotline.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter()

OPERATOR_DIGIT = "0"  # not announced; callers who press 0 for "operator" reach a person too
YES_DIGIT, NO_DIGIT = "1", "2"
MENU_ATTEMPTS = 2  # menu repeats before the call goes on in the likeliest language
QUIET_LIMIT = 2  # silent turns answered gently before saying goodbye


def conversation_id_for(call_sid: str) -> str:
    """The call's conversation id: a keyed hash of the CallSid (never the SID itself)."""
    return hash_identifier(call_sid, kind="call")[:32]


def _base_url(request: Request) -> str:
    return get_settings().public_base_url or str(request.base_url)


def _default_lang() -> str:
    lang = get_settings().default_language
    return lang if lang in i18n.supported_languages() else i18n.SOURCE_LANG


def prior_language(country_code: str | None) -> str:
    """The caller's likeliest language from the number's country, else the deployment default."""
    supported = i18n.supported_languages()
    for code in country_priors().get((country_code or "").lstrip("+"), ()):
        if code in supported:
            return code
    return _default_lang()


def _render(key: str, state: dict | None, **params: object) -> tuple[str, str]:
    lang = (state or {}).get("language") or _default_lang()
    audience = (state or {}).get("audience") or "adult"
    return i18n.render(key, lang, audience=audience, channel="voice", **params), lang


def _person_words(lang: str) -> list[str]:
    return list(i18n.get_locale(lang).keywords.get("person") or [])


def _person_digit() -> str:
    return transfer.voice_config().person_digit


# ------------------------------------------------------------------ TwiML shapes
def _first_window(country_code: str | None) -> VoiceResponse:
    """Greeting and the emergency option, listening for the person key, a language key or a word."""
    default, prior = _default_lang(), prior_language(country_code)
    response = VoiceResponse()
    listen = gather(url("/twilio/voice/menu", step="first"), prior, input_="dtmf speech",
                    num_digits=menu_digits_needed(),
                    finish_on_key="#", timeout=FIRST_WINDOW_TIMEOUT,
                    hints=_person_words(prior) + _language_names())
    say(listen, i18n.render("voice.greeting", default, channel="voice"), default)
    for lang in dict.fromkeys((prior, default)):
        say(listen, i18n.render("voice.emergency_option", lang, channel="voice", digit=_person_digit()), lang)
    response.append(listen)
    return response


def _language_names() -> list[str]:
    return [str(i18n.language_meta(code)["native_name"]) for code in i18n.supported_languages()]


def _menu(attempt: int, country_code: str | None, lead: tuple[str, str] | None = None) -> VoiceResponse:
    """The language menu: every language's own prompt in its own voice."""
    prior = prior_language(country_code)
    response = VoiceResponse()
    listen = gather(url("/twilio/voice/menu", step="menu", n=attempt, cc=country_code), prior, input_="dtmf speech",
                    num_digits=menu_digits_needed(), finish_on_key="#", timeout=MENU_TIMEOUT,
                    hints=_language_names() + _person_words(prior))
    if lead:
        say(listen, *lead)
    digits = {code: key for key, code in keypad().items()}
    order = [prior] + [c for c in i18n.supported_languages() if c != prior]
    for code in order:
        if code in digits:
            say(listen, i18n.render("voice.language_prompt", code, channel="voice", digit=digits[code]), code)
    response.append(listen)
    return response


def _turn_gather(response: VoiceResponse, state: dict | None, quiet: int = 0,
                 texts: list[tuple[str, str]] | None = None) -> VoiceResponse:
    """Speak ``texts`` inside a Gather listening in the conversation's language. The action URL
    numbers the next utterance (``t``): a retry of that request by Twilio carries the same number
    and is answered from the stored replies, never stored twice."""
    lang = (state or {}).get("language") or _default_lang()
    turn = (state or {}).get("turns", 0) + 1
    listen = gather(url("/twilio/voice/turn", t=turn, q=quiet or None), lang, num_digits=1,
                    hints=_person_words(lang))
    for text, text_lang in texts or []:
        say(listen, text, text_lang)
    response.append(listen)
    return response


def _goodbye(response: VoiceResponse, state: dict | None) -> VoiceResponse:
    say(response, *_render("voice.goodbye", state))
    response.hangup()
    return response


def _spoken(result: TurnResult) -> list[tuple[str, str]]:
    return [(r.text, r.lang or result.language) for r in result.replies if r.text]


# ------------------------------------------------------------------ outcomes shared by the steps
async def _connect_or_no_staff(request: Request, conv_id: str, call_sid: str, result: TurnResult) -> Response:
    """After consent: the conference and the first worker's phone, or the no-staff path."""
    core = request.app.state.core
    if result.state == "queued":
        if not await run_in_threadpool(transfer.staff_reachable, result.language):
            result = await run_in_threadpool(core.call_no_staff, conv_id)
            return await _no_staff(request, conv_id, result)
        queued = await run_in_threadpool(core.call_queued, conv_id, call_sid, f"hl-{secrets.token_hex(8)}")
        if queued is None:  # the handover closed meanwhile
            state = await run_in_threadpool(core.call_state, conv_id)
            return xml(_turn_gather(VoiceResponse(), state, texts=[_render("voice.ask_question", state)]))
        handover_id, conference, new = queued
        state = await run_in_threadpool(core.call_state, conv_id)
        response = VoiceResponse()
        for text, lang in _spoken(result):
            say(response, text, lang)
        dial = response.dial(action=url("/twilio/voice/after"), method="POST", record="do-not-record")
        dial.conference(conference, start_conference_on_enter=False, end_conference_on_exit=True,
                        wait_url=url("/twilio/voice/hold", lang=state["language"], aud=state["audience"]),
                        wait_method="POST", record="do-not-record", beep="onEnter")
        task = BackgroundTask(transfer.dial_next, handover_id, _base_url(request), []) if new else None
        return xml(response, background=task)
    if result.state == "awaiting_contact":  # the core found nobody on duty at all
        told = await run_in_threadpool(core.call_no_staff, conv_id, True)
        told.replies = result.replies
        return await _no_staff(request, conv_id, told)
    state = await run_in_threadpool(core.call_state, conv_id)
    return xml(_turn_gather(VoiceResponse(), state, texts=_spoken(result)))


async def _no_staff(request: Request, conv_id: str, result: TurnResult, quiet: int = 0) -> Response:
    """The numbers, then: stay with the assistant, or leave a safe time to be called back."""
    state = await run_in_threadpool(request.app.state.core.call_state, conv_id)
    lang = (state or {}).get("language") or _default_lang()
    response = VoiceResponse()
    listen = gather(url("/twilio/voice/callback", q=quiet or None), lang, num_digits=1,
                    hints=list(i18n.get_locale(lang).keywords.get("yes") or []) + _person_words(lang))
    for text, text_lang in _spoken(result):
        say(listen, text, text_lang)
    response.append(listen)
    return xml(response)


async def _person_now(request: Request, conv_id: str, call_sid: str) -> Response:
    core = request.app.state.core
    state = await run_in_threadpool(core.call_state, conv_id)
    reachable = await run_in_threadpool(transfer.staff_reachable, (state or {}).get("language"))
    result = await run_in_threadpool(core.call_wants_person, conv_id, reachable)
    if not reachable:
        return await _no_staff(request, conv_id, result)
    return await _connect_or_no_staff(request, conv_id, call_sid, result)


async def _after_turn(request: Request, conv_id: str, call_sid: str, caller: str, result: TurnResult) -> Response:
    core = request.app.state.core
    if any(r.key == "handover.contact_saved" for r in result.replies) and caller:
        await run_in_threadpool(core.call_callback_number, conv_id, caller)
    if result.ended:
        state = await run_in_threadpool(core.call_state, conv_id)
        response = VoiceResponse()
        for text, lang in _spoken(result):
            say(response, text, lang)
        response.hangup()
        return xml(response)
    if result.state in ("queued", "awaiting_contact") and any(
            r.key in ("handover.accepted", "handover.no_staff") for r in result.replies):
        return await _connect_or_no_staff(request, conv_id, call_sid, result)
    state = await run_in_threadpool(core.call_state, conv_id)
    return xml(_turn_gather(VoiceResponse(), state, texts=_spoken(result)))


def _int(value: str | None, default: int = 0) -> int:
    try:
        return max(0, int(value or default))
    except ValueError:
        return default


# ------------------------------------------------------------------ the caller's webhooks
@router.post("/twilio/voice")
async def incoming_call(request: Request) -> Response:
    params = await verified_form(request)
    call_sid = params.get("CallSid", "")
    if not call_sid:
        return xml(VoiceResponse())
    caller = params.get("From") or None
    country = calling_code(caller)
    await run_in_threadpool(request.app.state.core.start_call, conversation_id_for(call_sid), caller, country)
    return xml(_first_window(country))


@router.post("/twilio/voice/menu")
async def language_menu(request: Request) -> Response:
    params = await verified_form(request)
    call_sid = params.get("CallSid", "")
    conv_id = conversation_id_for(call_sid)
    core = request.app.state.core
    q = request.query_params
    first = q.get("step") == "first"
    attempt = _int(q.get("n"))
    country = q.get("cc") or calling_code(params.get("From"))
    digits = params.get("Digits", "").strip().strip("#")
    speech = params.get("SpeechResult", "").strip()
    keys = keypad()
    person = _person_digit()

    choice: str | None = None
    if digits:
        if digits == OPERATOR_DIGIT or (digits == person and (first or person not in keys)):
            return await _person_now(request, conv_id, call_sid)
        choice = keys.get(digits)
    elif speech:
        keyword = i18n.match_keyword(speech)
        if keyword and keyword[0] == "person":
            return await _person_now(request, conv_id, call_sid)
        spoken_digits = speech.strip(" .#")
        choice = keys.get(spoken_digits) if spoken_digits.isdecimal() else parse_language_choice(speech)
    if choice:
        result = await run_in_threadpool(core.choose_call_language, conv_id, choice)
        state = await run_in_threadpool(core.call_state, conv_id)
        return xml(_turn_gather(VoiceResponse(), state, texts=_spoken(result)))

    if first and not digits and not speech:
        return xml(_menu(0, country))
    if first or attempt + 1 < MENU_ATTEMPTS:
        default = _default_lang()
        key = "voice.not_understood" if (digits or speech) else "voice.no_input"
        return xml(_menu(1 if first else attempt + 1, country,
                         lead=(i18n.render(key, default, channel="voice"), default)))
    # The menu went unanswered twice: go on in the likeliest language rather than lose the caller.
    result = await run_in_threadpool(core.choose_call_language, conv_id, prior_language(country), False)
    state = await run_in_threadpool(core.call_state, conv_id)
    return xml(_turn_gather(VoiceResponse(), state, texts=_spoken(result)))


@router.post("/twilio/voice/turn")
async def call_turn(request: Request) -> Response:
    params = await verified_form(request)
    call_sid = params.get("CallSid", "")
    conv_id = conversation_id_for(call_sid)
    core = request.app.state.core
    turn, quiet = _int(request.query_params.get("t"), 1), _int(request.query_params.get("q"))
    digits = params.get("Digits", "").strip().strip("#")
    speech = params.get("SpeechResult", "").strip()
    state = await run_in_threadpool(core.call_state, conv_id)
    if state is None or state["state"] == "ended":
        return xml(_goodbye(VoiceResponse(), state))
    if digits in (_person_digit(), OPERATOR_DIGIT):
        return await _person_now(request, conv_id, call_sid)
    if speech:
        caller = params.get("From", "")
        inbound = InboundTurn(channel="voice", text=speech, conversation_id=conv_id,
                              external_id=f"{call_sid}:{turn}", country_code=calling_code(caller))
        result = await run_in_threadpool(core.handle_turn, inbound)
        return await _after_turn(request, conv_id, call_sid, caller, result)
    if digits:
        return xml(_turn_gather(VoiceResponse(), state, quiet, [_render("voice.not_understood", state)]))
    # Silence. After "stay on the line and I will try to connect you" (emergency.lead), staying is the answer.
    if state["state"] == "awaiting_consent" and state["emergency_shown"] and state["tier"] == "P0":
        return await _person_now(request, conv_id, call_sid)
    if quiet == 0:
        texts = [_render("voice.no_input", state), _render("voice.ask_question", state)]
    elif quiet < QUIET_LIMIT:
        texts = [_render("voice.no_input", state), _render("voice.emergency_option", state, digit=_person_digit())]
    else:
        return xml(_goodbye(VoiceResponse(), state))
    return xml(_turn_gather(VoiceResponse(), state, quiet + 1, texts))


@router.post("/twilio/voice/callback")
async def callback_choice(request: Request) -> Response:
    """After the no-staff reply: yes (or 1) leaves a safe time, no (or 2) stays with the assistant;
    anything else said is an ordinary turn."""
    params = await verified_form(request)
    call_sid = params.get("CallSid", "")
    conv_id = conversation_id_for(call_sid)
    core = request.app.state.core
    quiet = _int(request.query_params.get("q"))
    digits = params.get("Digits", "").strip().strip("#")
    speech = params.get("SpeechResult", "").strip()
    state = await run_in_threadpool(core.call_state, conv_id)
    if state is None or state["state"] == "ended":
        return xml(_goodbye(VoiceResponse(), state))
    keyword = i18n.match_keyword(speech, state["language"]) if speech else None
    kind = keyword[0] if keyword else None
    if digits == YES_DIGIT or kind == "yes":
        result = await run_in_threadpool(core.call_contact_ask, conv_id)
        return xml(_turn_gather(VoiceResponse(), state, texts=_spoken(result)))
    if digits == NO_DIGIT or kind in ("no", "skip"):
        return xml(_turn_gather(VoiceResponse(), state, texts=[_render("voice.ask_question", state)]))
    if digits in (_person_digit(), OPERATOR_DIGIT) or kind == "person":
        return await _person_now(request, conv_id, call_sid)
    if speech:
        inbound = InboundTurn(channel="voice", text=speech, conversation_id=conv_id,
                              external_id=f"{call_sid}:{state['turns'] + 1}")
        result = await run_in_threadpool(core.handle_turn, inbound)
        return await _after_turn(request, conv_id, call_sid, params.get("From", ""), result)
    if quiet == 0:  # silence or another key: the plain question, once
        return xml(_callback_offer(state))
    return xml(_goodbye(VoiceResponse(), state))


def _callback_offer(state: dict) -> VoiceResponse:
    response = VoiceResponse()
    lang = state["language"]
    listen = gather(url("/twilio/voice/callback", q=1), lang, num_digits=1,
                    hints=list(i18n.get_locale(lang).keywords.get("yes") or []))
    say(listen, *_render("voice.callback_offer", state))
    response.append(listen)
    return response


@router.post("/twilio/voice/hold")
async def hold(request: Request) -> Response:
    """The conference's waitUrl: a calm message, silence, again (only Say, Pause, Redirect allowed)."""
    await verified_form(request)
    lang = request.query_params.get("lang") or _default_lang()
    lang = lang if lang in i18n.supported_languages() else _default_lang()
    audience = "child" if request.query_params.get("aud") == "child" else "adult"
    response = VoiceResponse()
    say(response, i18n.render("voice.hold", lang, audience=audience, channel="voice"), lang)
    response.pause(length=15)
    response.redirect(url("/twilio/voice/hold", lang=lang, aud=audience), method="POST")
    return xml(response)


@router.post("/twilio/voice/after")
async def after_conference(request: Request) -> Response:
    """The caller's conference ended (the worker finished): a short goodbye."""
    params = await verified_form(request)
    state = await run_in_threadpool(request.app.state.core.call_state, conversation_id_for(params.get("CallSid", "")))
    return xml(_goodbye(VoiceResponse(), state))


@router.post("/twilio/voice/no-staff")
async def no_staff(request: Request) -> Response:
    """Where a waiting call is redirected when no worker took it."""
    params = await verified_form(request)
    conv_id = conversation_id_for(params.get("CallSid", ""))
    if await run_in_threadpool(request.app.state.core.call_state, conv_id) is None:
        return xml(VoiceResponse())
    result = await run_in_threadpool(request.app.state.core.call_no_staff, conv_id)
    return await _no_staff(request, conv_id, result)


@router.post("/twilio/voice/status")
async def call_status(request: Request) -> Response:
    """The caller's call status callback: when the call ends, a waiting handover is cancelled
    (its worker is told) and a worker's phone still ringing for it is stopped."""
    params = await verified_form(request)
    if params.get("CallStatus") in transfer.FINAL_CALL_STATUSES:
        handover_id = await run_in_threadpool(request.app.state.core.call_ended,
                                              conversation_id_for(params.get("CallSid", "")))
        if handover_id is not None:
            await run_in_threadpool(transfer.stop_ringing, handover_id)
    return Response(status_code=204)


# ------------------------------------------------------------------ the worker's leg
@router.post("/twilio/voice/worker/whisper")
async def worker_whisper(request: Request) -> Response:
    params = await verified_form(request)
    q = request.query_params
    twiml = await run_in_threadpool(transfer.whisper_twiml, _int(q.get("h")), _int(q.get("w")), q.get("tried", ""),
                                    params.get("AnsweredBy", ""))
    return xml(twiml)


@router.post("/twilio/voice/worker/accept")
async def worker_accept(request: Request) -> Response:
    """1 = accept (race-safe); then the worker is put into the caller's conference."""
    params = await verified_form(request)
    q = request.query_params
    handover_id, worker_id = _int(q.get("h")), _int(q.get("w"))
    response = VoiceResponse()
    if params.get("Digits", "").strip() != "1":
        response.hangup()  # the status callback rings the next worker
        return xml(response)
    joined = await run_in_threadpool(_accept, handover_id, worker_id)
    if joined is None:
        response.hangup()
        return xml(response)
    conversation_id, first_name, conference = joined
    transfer.accepted(handover_id)
    await run_in_threadpool(request.app.state.core.worker_joined, conversation_id, first_name)
    dial = response.dial(record="do-not-record")
    dial.conference(conference, start_conference_on_enter=True, end_conference_on_exit=True, beep="onEnter",
                    record="do-not-record")
    return xml(response)


def _accept(handover_id: int, worker_id: int) -> tuple[str, str, str] | None:
    from hotline.handover.queue import accept
    from hotline.storage.db import session_scope
    from hotline.storage.models import Handover, StaffUser

    with session_scope() as s:
        worker = s.get(StaffUser, worker_id)
        handover = s.get(Handover, handover_id)
        if worker is None or worker.disabled or handover is None or not handover.conference_name:
            return None
        if not accept(s, handover_id, worker):
            return None
        return handover.conversation_id, worker.first_name, handover.conference_name


@router.post("/twilio/voice/worker/join")
async def worker_join(request: Request) -> Response:
    """A worker who accepted the call in the staff console answers their phone (see
    voice_transfer.connect_console_worker)."""
    await verified_form(request)
    q = request.query_params
    return xml(await run_in_threadpool(transfer.join_twiml, _int(q.get("h")), _int(q.get("w"))))


@router.post("/twilio/voice/worker/status")
async def worker_status(request: Request) -> Response:
    """A worker leg ended without joining (no answer, busy, failed, no key pressed): next worker."""
    params = await verified_form(request)
    q = request.query_params
    handover_id = _int(q.get("h"))
    if transfer.leg_finished(handover_id, params.get("CallSid", ""), params.get("CallStatus", "")):
        tried = [int(x) for x in q.get("tried", "").split(",") if x.isdigit()]
        return Response(status_code=204, background=BackgroundTask(transfer.dial_next, handover_id,
                                                                   _base_url(request), tried))
    return Response(status_code=204)
