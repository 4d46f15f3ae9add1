"""Warm transfer of a call to an on-duty worker's phone (anchors-notes.md §5.5).

The caller waits in a ``<Conference>`` that does not start until a worker enters. Workers are rung
one at a time through twilio's REST client (the same ``TWILIO_API_BASE``-configurable client as
SMS). A worker who answers first hears a whispered summary in their own language (tier, the
caller's language, child flag, main reasons: key ``voice.whisper``) and joins only after pressing
1, which is ``queue.accept`` (one conditional UPDATE: the console and a phone can race, one wins).

Nobody takes it (no answer within the ring timeout, busy, failed, no key within the accept
timeout, voicemail): the next on-duty worker with a phone; after the last one, or after
``max_workers_dialled``, the caller's live call is redirected through the REST API to the no-staff
path (emergency and partner numbers, a safe callback). Nothing is said to a voicemail box: the
summary must not be left on a recording (POLICY.md §8).

Which worker leg is ringing for a handover is held in this process (``_ringing``), so that a
duplicated or late status callback never rings a second worker at once. Run the voice webhooks in
one service process, or route a call's webhooks to the same process.
"""
from __future__ import annotations

import logging
import re
import threading

from pydantic_settings import BaseSettings, SettingsConfigDict
from twilio.base.exceptions import TwilioException
from twilio.twiml.voice_response import VoiceResponse

from hotline import i18n
from hotline.channels.sms import twilio_client
from hotline.channels.voice_twiml import gather, say, url
from hotline.handover.queue import phone_workers
from hotline.settings import get_settings
from hotline.storage.db import session_scope
from hotline.storage.models import Handover, StaffUser

log = logging.getLogger(__name__)

FINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
WHISPER_REASONS = 3


class VoiceSettings(BaseSettings):
    """Call-handling times (environment ``HOTLINE_VOICE_*``)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_VOICE_", extra="ignore")

    ring_timeout_seconds: int = 20  # a worker's phone rings this long before the next is tried
    accept_timeout_seconds: int = 10  # after the whisper, this long to press 1
    max_workers_dialled: int = 3  # then the no-staff path: a caller must not wait minutes on hold
    person_digit: str = "9"  # "press 9 to reach a person now" (voice.emergency_option)


def voice_config() -> VoiceSettings:
    return VoiceSettings()


_ringing: dict[int, str] = {}  # handover id -> CallSid of the worker leg being rung
_ringing_lock = threading.Lock()


def absolute(base: str, path: str) -> str:
    return base.rstrip("/") + path


def staff_reachable(language: str | None) -> bool:
    """Is any worker who could take a call (on duty, with a phone) there at all?"""
    with session_scope() as s:
        return bool(phone_workers(s, language))


def ringing_leg(handover_id: int) -> str | None:
    with _ringing_lock:
        return _ringing.get(handover_id)


def dial_next(handover_id: int, base: str, tried: list[int]) -> str:
    """Ring the next worker for a waiting call: ``"dialled"``, ``"no_staff"`` (the caller was sent
    to the no-staff path) or ``"gone"`` (nothing waits any more)."""
    config = voice_config()
    with session_scope() as s:
        handover = s.get(Handover, handover_id)
        if handover is None or handover.status != "queued":
            return "gone"
        caller_sid, language = handover.call_sid, handover.language
        remaining = max(0, config.max_workers_dialled - len(tried))
        targets = [(w.id, w.phone_enc) for w in phone_workers(s, language, set(tried))][:remaining]
    for worker_id, phone in targets:
        tried = tried + [worker_id]
        query = {"h": handover_id, "w": worker_id, "tried": ",".join(map(str, tried))}
        try:
            call = twilio_client().calls.create(
                to=phone, from_=get_settings().twilio_from_number,
                url=absolute(base, url("/twilio/voice/worker/whisper", **query)), method="POST",
                status_callback=absolute(base, url("/twilio/voice/worker/status", **query)),
                status_callback_method="POST", status_callback_event=["completed"],
                timeout=config.ring_timeout_seconds, machine_detection="Enable")
        except TwilioException as exc:
            log.warning("twilio refused to ring worker %d for handover %d: %s", worker_id, handover_id,
                        type(exc).__name__)
            continue
        with _ringing_lock:
            _ringing[handover_id] = call.sid
        log.info("ringing worker %d for handover %d", worker_id, handover_id)
        return "dialled"
    if caller_sid:
        redirect_caller(caller_sid, absolute(base, "/twilio/voice/no-staff"))
    return "no_staff"


def redirect_caller(call_sid: str, target: str) -> bool:
    """Move a live call (waiting in the conference) to other TwiML through the REST API."""
    try:
        twilio_client().calls(call_sid).update(url=target, method="POST")
        return True
    except TwilioException as exc:
        log.warning("could not redirect a waiting call: %s", type(exc).__name__)
        return False


def stop_ringing(handover_id: int) -> None:
    """The caller hung up: end the worker leg still ringing or whispering for them."""
    with _ringing_lock:
        sid = _ringing.pop(handover_id, None)
    if sid is None:
        return
    for status in ("canceled", "completed"):  # canceled while ringing, completed once answered
        try:
            twilio_client().calls(sid).update(status=status)
            return
        except TwilioException:
            continue


def leg_finished(handover_id: int, call_sid: str, status: str) -> bool:
    """A worker leg's final status arrived. True when it was the leg being rung (so the next
    worker is due); a duplicate, stale or not-yet-final callback changes nothing."""
    if status not in FINAL_CALL_STATUSES:
        return False
    with _ringing_lock:
        if _ringing.get(handover_id) != call_sid:
            return False
        del _ringing[handover_id]
    return True


def accepted(handover_id: int) -> None:
    with _ringing_lock:
        _ringing.pop(handover_id, None)


# ------------------------------------------------------------------ the whisper
def _child_word(lang: str) -> str:
    for code in (lang, i18n.SOURCE_LANG):
        entry = i18n.catalog().locales.get(code)
        if entry and entry.messages.get("voice.whisper_child", {}).get("text"):
            return entry.messages["voice.whisper_child"]["text"]
    return "child"


def whisper_text(handover: Handover, worker: StaffUser) -> str:
    """The summary a worker hears before accepting, in the worker's language: tier, the caller's
    language, the child flag and the main reasons (indicator names, else the topics asked about),
    never anything the caller said."""
    lang = worker.language or get_settings().staff_language
    caller_meta = i18n.language_meta(handover.language)
    same = i18n.get_locale(lang).code == caller_meta["code"]
    # A TTS voice reads its own language's name, or the English name, far better than a foreign script.
    language_name = caller_meta["native_name"] if same else caller_meta["name"]
    reasons = [name.replace("_", " ") for name in (handover.indicators or [])][:WHISPER_REASONS]
    if not reasons:
        reasons = [topic.replace("_", " ") for topic in (handover.topics or [])][:WHISPER_REASONS]
    child = _child_word(lang) + (", " if reasons else "") if handover.child else ""
    text = i18n.render("voice.whisper", lang, channel="voice", tier=handover.tier, language_name=language_name,
                       child_text=child, reasons=", ".join(reasons))
    return re.sub(r"[,،]\s*([.。])", r"\1", text)


def whisper_twiml(handover_id: int, worker_id: int, tried: str, answered_by: str) -> VoiceResponse:
    response = VoiceResponse()
    if answered_by.startswith(("machine", "fax")):
        response.hangup()  # never leave a summary on a voicemail
        return response
    with session_scope() as s:
        handover = s.get(Handover, handover_id)
        worker = s.get(StaffUser, worker_id)
        if handover is None or worker is None or handover.status != "queued" or worker.disabled:
            response.hangup()
            return response
        text, lang = whisper_text(handover, worker), worker.language or get_settings().staff_language
    listen = gather(url("/twilio/voice/worker/accept", h=handover_id, w=worker_id, tried=tried), lang,
                    input_="dtmf", num_digits=1, timeout=voice_config().accept_timeout_seconds)
    say(listen, text, lang)
    say(listen, text, lang)  # said twice: the worker may have answered mid-sentence
    response.append(listen)
    response.hangup()
    return response


# ------------------------------------------------------------------ joined from the staff console
def connect_console_worker(handover_id: int, base: str | None = None) -> str | None:
    """A worker accepted a call from the staff console (queue.accept there): ring their phone and
    put them straight into the caller's conference (they read the summary on screen, so there is
    no whisper). The staff console calls this for handovers with channel "voice"; returns the
    worker leg's CallSid, or None when there is nothing to connect (no phone, call gone)."""
    base = base or get_settings().public_base_url
    with session_scope() as s:
        handover = s.get(Handover, handover_id)
        if handover is None or handover.status != "active" or handover.channel != "voice" or not base:
            return None
        worker = s.get(StaffUser, handover.worker_id) if handover.worker_id else None
        if worker is None or not worker.phone_enc or not handover.conference_name:
            return None
        phone, worker_id = worker.phone_enc, worker.id
    stop_ringing(handover_id)  # a phone leg for the same call is no longer needed
    try:
        call = twilio_client().calls.create(
            to=phone, from_=get_settings().twilio_from_number, method="POST",
            url=absolute(base, url("/twilio/voice/worker/join", h=handover_id, w=worker_id)),
            timeout=voice_config().ring_timeout_seconds)
    except TwilioException as exc:
        log.warning("twilio refused to ring the console worker for handover %d: %s", handover_id,
                    type(exc).__name__)
        return None
    return call.sid


def join_twiml(handover_id: int, worker_id: int) -> VoiceResponse:
    """The console worker's leg: into the conference, only if the case is theirs and still open."""
    response = VoiceResponse()
    with session_scope() as s:
        handover = s.get(Handover, handover_id)
        if (handover is None or handover.status != "active" or handover.worker_id != worker_id
                or not handover.conference_name or handover.person_left_at is not None):
            response.hangup()
            return response
        conference = handover.conference_name
    dial = response.dial(record="do-not-record")
    dial.conference(conference, start_conference_on_enter=True, end_conference_on_exit=True, beep="onEnter",
                    record="do-not-record")
    return response
