"""The conversation core.

Every channel (web, SMS, voice) turns a request into an ``InboundTurn`` and calls
``ConversationCore.handle_turn``. The core, in this order:

1. finds or creates the conversation (senders are known only by a keyed hash);
2. answers a retry of an already-seen message with the stored replies (idempotence);
3. handles whole-message keywords (STOP/START/HELP, the safe-exit word, "person");
4. stores the message (encrypted), settles the language (explicit choice > sticky > detected);
5. triages it (always, with or without Rasa; the tier only goes up);
6. routes it: to the worker who holds the handover, to the consent question it answers, or to
   the assistant (Rasa) — and when Rasa is down or slow, to a safe reply of its own;
7. renders replies from ``locales/`` for the channel and audience, stores and returns them.

P0 messages lead with the emergency number and an offer of a person and alert the supervisor,
whatever the assistant is doing (TRIAGE.md; issue 3). The person can always reach a human
(POLICY.md §9): "person" works at any point and two misunderstood messages in a row offer one.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import i18n
from hotline.channels import outbound
from hotline.assistant.client import AssistantClient, AssistantUnavailable, BotReply, ParseResult
from hotline.conversation.types import InboundTurn, Reply, TurnResult
from hotline.events import QUEUE_TOPIC, after_commit, bus, conversation_topic
from hotline.handover import service as handovers
from hotline.language.choice import parse_language_choice
from hotline.language.detect import detect_language
from hotline.privacy.identifiers import hash_identifier
from hotline.settings import get_settings
from hotline.storage.db import session_scope
from hotline.storage.models import (
    ContactRequest,
    Conversation,
    Handover,
    Message,
    as_utc,
    count_conversation,
    utcnow,
)
from hotline.triage.engine import combine, triage

log = logging.getLogger(__name__)

TIER_ORDER = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}
AFFIRM_INTENTS = {"affirm"}
DENY_INTENTS = {"deny", "skip"}
# Consent to a handover from the model alone needs a confident "yes"; the keyword lists of every
# locale are the main way (a keyboard mash once scored affirm 0.72 under an earlier model).
INTENT_CONFIDENCE = 0.85
# Conversations open for longer than this are not continued by a new SMS from the same number.
SMS_CONVERSATION_IDLE = 24 * 3600


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConversationCore:
    def __init__(self, assistant: AssistantClient | None = None,
                 translate: Callable[[str, str, str], Any] | None = None,
                 erase_tracker: Callable[[str], None] | None = None) -> None:
        self.assistant = assistant or AssistantClient()
        self._translate = translate
        self._erase_tracker = erase_tracker
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()
        self._translation_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="translate")
        self.settings = get_settings()

    # ------------------------------------------------------------------ public entry points
    def start_web(self, language: str | None = None, chosen: bool = False) -> tuple[str, str, TurnResult]:
        """Open a web conversation: unguessable id, bearer token (only its hash is stored), greeting.

        ``language`` is the page's language (the browser's preference unless the person picked one
        from the menu, ``chosen``): only a chosen language is sticky against detection."""
        token = secrets.token_urlsafe(24)
        lang = language if language in i18n.supported_languages() else None
        with session_scope() as s:
            conv = Conversation(channel="web", token_hash=hash_token(token),
                                language=lang or self.settings.default_language,
                                language_source="chosen" if lang and chosen else "default")
            s.add(conv)
            s.flush()
            replies = self._bot_replies(s, conv, "/greet", greeting=True)
            result = self._finish(s, conv, None, replies)
        return result.conversation_id, token, result

    def check_token(self, conversation_id: str, token: str) -> bool:
        with session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            return bool(conv and conv.token_hash and secrets.compare_digest(conv.token_hash, hash_token(token)))

    def handle_turn(self, turn: InboundTurn) -> TurnResult:
        started = time.monotonic()
        text = (turn.text or "").strip()[:2000]
        with session_scope() as s:
            conv = self._find_or_create(s, turn)
            conv_id = conv.id
        # The intent ranking needs no database: ask for it before the transaction, so no database
        # lock is held while Rasa thinks (SQLite has one writer at a time). Never for the exit word.
        keyword = i18n.match_keyword(text)
        parse = None if keyword and keyword[0] == "exit" else self._parse(text)
        with self._lock_for(conv_id):
            with session_scope() as s:
                conv = s.get(Conversation, conv_id)
                assert conv is not None
                result = self._handle_locked(s, conv, turn, text, parse)
                pending = list(s.info.pop("translate", ()))
        self._translate_later(pending)
        log.info("turn conversation=%s channel=%s tier=%s state=%s ms=%d", result.conversation_id[:6],
                 turn.channel, result.tier, result.state, (time.monotonic() - started) * 1000)
        return result

    def set_language(self, conversation_id: str, language: str) -> TurnResult:
        """An explicit choice from a menu (web select, keypad): sticky for the conversation."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or language not in i18n.supported_languages():
                raise KeyError(conversation_id)
            conv.language, conv.language_source = language, "chosen"
            if conv.state == "awaiting_language":
                conv.state = "bot"
            replies = [self._render(conv, "language.changed", language_name=i18n.language_meta(language)["native_name"])]
            return self._finish(s, conv, None, replies)

    def erase(self, conversation_id: str, reason: str = "exit") -> bool:
        """Quick exit / safe-exit word: end at once, erase content (POLICY.md §3).

        During an open handover the worker is told and the handover summary stays until the worker
        closes the case; the rest of the content is erased either way.
        """
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                return False
            self._erase_locked(s, conv, reason)
        if self._erase_tracker:
            try:
                self._erase_tracker(conversation_id)
            except Exception:  # noqa: BLE001 - erasure of the bot's copy is retried by the purge
                log.warning("could not erase the assistant's tracker for %s", conversation_id[:6])
        return True

    @property
    def translate(self) -> Callable[[str, str, str], Any] | None:
        """The machine translator (None when translation is not installed)."""
        return self._translate

    def warm_up(self) -> None:
        """Load the triage patterns/classifier and the language detector before the first person
        writes: the first P0 reply must not wait seconds for a model to load."""
        for sample in ("hello, I need some help with my work please", "добрий день, мені потрібна допомога",
                       "مرحبا أحتاج مساعدة"):
            triage(sample)
            detect_language(sample)
        i18n.supported_languages()

    # ------------------------------------------------------------------ worker actions
    def worker_joined(self, conversation_id: str, worker_first_name: str) -> None:
        """A worker accepted the handover: the bot goes quiet and the person hears who joined and
        that they have read the conversation (issue 3, warm transfer)."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.state == "ended":
                return  # the person left (exit word, quick exit): nobody is put back with them
            conv.state = "with_worker"
            reply = self._render(conv, "handover.worker_joined", worker_name=worker_first_name)
            reply.author = "system"
            self._deliver_out(s, conv, reply)

    def worker_message(self, conversation_id: str, staff_id: int, text: str, staff_lang: str | None = None) -> int | None:
        """A worker writes to the person: translated into the person's language (marked as machine
        translation, original kept) and delivered only inside the open conversation. Translation
        runs before the conversation lock is taken, so the person's own turns never wait for it."""
        body = text.strip()[:2000]
        source = staff_lang or self.settings.staff_language
        with session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            target = (conv.language if conv else None) or self.settings.default_language
        translated = None
        if target != source and self._translate is not None:
            try:
                result = self._translate(body, source, target)
                if getattr(result, "available", False) and getattr(result, "machine", False):
                    translated = result.text
            except Exception:  # noqa: BLE001
                log.warning("translation of a worker message failed (%s->%s)", source, target)
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.state not in ("queued", "with_worker") or conv.opted_out:
                return None
            msg = Message(conversation_id=conv.id, direction="out", author="worker", body=body, lang=source,
                          staff_id=staff_id, translation=translated, translation_lang=target if translated else None,
                          translation_machine=translated is not None)
            s.add(msg)
            s.flush()
            conv.last_message_at = utcnow()
            bus.publish(conversation_topic(conv.id), {"event": "message", "message_id": msg.id})
            after_commit(partial(outbound.deliver, conv.channel, conv.id, msg.id))
            return msg.id

    def hand_back(self, conversation_id: str, closed: bool = False) -> None:
        """The worker hands the person back to the assistant (or closes the case)."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.state == "ended":
                return
            conv.state = "bot"
            reply = self._render(conv, "handover.closed" if closed else "handover.returned")
            reply.author = "system"
            self._deliver_out(s, conv, reply)

    def notify_person(self, conversation_id: str, key: str, **params: Any) -> None:
        """A system message inside an open handover (e.g. still waiting after escalation)."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.state not in ("queued", "with_worker") or conv.opted_out:
                return
            reply = self._render(conv, key, **params)
            reply.author = "system"
            self._deliver_out(s, conv, reply)

    def _deliver_out(self, s: Session, conv: Conversation, reply: Reply) -> None:
        if conv.opted_out:
            return
        msg = Message(conversation_id=conv.id, direction="out", author=reply.author, body=reply.text,
                      lang=reply.lang, key=reply.key)
        s.add(msg)
        s.flush()
        bus.publish(conversation_topic(conv.id), {"event": "message", "message_id": msg.id})
        after_commit(partial(outbound.deliver, conv.channel, conv.id, msg.id))

    # ------------------------------------------------------------------ the turn
    def _handle_locked(self, s: Session, conv: Conversation, turn: InboundTurn, text: str,
                       parse: ParseResult | None) -> TurnResult:
        if turn.external_id:
            seen = s.scalars(select(Message).where(Message.external_id == turn.external_id)).first()
            if seen is not None:
                return self._stored_replies(s, conv, seen)
        if conv.state == "ended" and turn.channel == "web":
            return TurnResult(conversation_id=conv.id, language=conv.language or "en", tier=conv.tier,
                              state="ended", ended=True)

        keyword = i18n.match_keyword(text)
        kind = keyword[0] if keyword else None
        if kind == "exit":
            lang = keyword[1] if keyword[1] in i18n.supported_languages() else (conv.language or "en")
            reply = self._render(conv, "sms.exit_confirm", lang=lang)
            self._erase_locked(s, conv, "exit")
            return TurnResult(conversation_id=conv.id, replies=[reply], language=lang, tier=conv.tier,
                              state="ended", ended=True)

        inbound = self._store_inbound(s, conv, turn, text)
        if inbound is None:  # a concurrent retry stored it first
            seen = s.scalars(select(Message).where(Message.external_id == turn.external_id)).first()
            return self._stored_replies(s, conv, seen) if seen else TurnResult(conversation_id=conv.id)

        if turn.channel == "sms" and kind in ("stop", "start"):
            return self._sms_keyword(s, conv, inbound, kind, keyword[1])
        if conv.opted_out and turn.channel == "sms":
            conv.opted_out = False  # writing again is an opt-in (Twilio treats any message so too)

        self._settle_language(conv, turn, text)
        inbound.lang = conv.language

        result = triage(text, lang=conv.language, intent_ranking=parse.ranking if parse else None)
        inbound.tier, inbound.indicators, inbound.triage_reasons = result.urgency, result.indicators, result.reasons
        inbound.intent = parse.intent if parse else None
        previous_tier = conv.tier
        conv.tier = combine(conv.tier, result.urgency)
        conv.indicators = sorted(set(conv.indicators or []) | set(result.indicators))
        if result.child and not conv.child:
            conv.child, conv.audience = True, "child"
        raised = TIER_ORDER[conv.tier] < TIER_ORDER[previous_tier]

        if turn.channel == "sms" and kind == "help" and result.urgency != "P0":
            # HELP is Twilio's info keyword, but "help" alone can be a cry: it is triaged like any
            # message, and a P0 takes the emergency path below instead of the info reply.
            return self._sms_keyword(s, conv, inbound, kind, keyword[1])

        replies: list[Reply] = []
        if result.urgency == "P0" and conv.state not in ("with_worker",):
            replies.append(self._render(conv, "emergency.lead"))
            conv.emergency_shown = True
            if not handovers.open_handover(s, conv):
                conv.state = "awaiting_consent"
                conv.handover_offered = True
            handovers.raise_alert(s, "p0_message", conv, handovers.open_handover(s, conv))
            self._update_open_handover(s, conv)
            self._forward_to_worker(s, conv, inbound)
            return self._finish(s, conv, inbound, replies)

        if conv.state in ("queued", "with_worker"):
            self._update_open_handover(s, conv)
            self._forward_to_worker(s, conv, inbound)
            return self._finish(s, conv, inbound, replies)

        if kind == "person":
            if conv.state == "awaiting_consent":  # "person" in answer to the offer is a yes
                return self._finish(s, conv, inbound, self._consented(s, conv))
            return self._finish(s, conv, inbound, [self._offer_handover(conv)])

        if conv.state == "awaiting_consent":
            answer = self._yes_no(kind, parse)
            if answer is True:
                return self._finish(s, conv, inbound, self._consented(s, conv))
            if answer is False:
                conv.state = "bot"
                return self._finish(s, conv, inbound, [self._render(conv, "handover.declined")])
            conv.state = "bot"  # something else: the person moved on; answer that instead

        if conv.state == "awaiting_contact":
            conv.state = "bot"
            if self._yes_no(kind, parse) is not False and kind != "skip":
                s.add(ContactRequest(conversation_id=conv.id, details=text))
                bus.publish(QUEUE_TOPIC, {"event": "contact_request", "conversation_id": conv.id})
                return self._finish(s, conv, inbound, [self._render(conv, "handover.contact_saved")])
            return self._finish(s, conv, inbound, [self._render(conv, "skip.ack")])

        # An explicit choice wins over detection at any point: "romana", "po polsku", or a menu
        # number while the menu is open (hotline/language/choice.py).
        choice = parse_language_choice(text, menu_open=conv.state == "awaiting_language")
        if choice in i18n.supported_languages() or conv.state == "awaiting_language" or kind == "language":
            if choice in i18n.supported_languages():
                conv.language, conv.language_source, conv.state = choice, "chosen", "bot"
                meta = i18n.language_meta(choice)
                return self._finish(s, conv, inbound, [self._render(conv, "language.changed", language_name=meta["native_name"])])
            if kind == "language":
                conv.state = "awaiting_language"
                return self._finish(s, conv, inbound, [self._language_menu(conv)])
            conv.state = "bot"

        replies.extend(self._bot_replies(s, conv, text))
        if raised and conv.tier in ("P1", "P2") and not conv.handover_offered and conv.state == "bot":
            replies.append(self._offer_handover(conv))
        return self._finish(s, conv, inbound, replies)

    # ------------------------------------------------------------------ steps
    def _find_or_create(self, s: Session, turn: InboundTurn) -> Conversation:
        if turn.conversation_id:
            conv = s.get(Conversation, turn.conversation_id)
            if conv is not None:
                return conv
        sender_hash = hash_identifier(turn.sender) if turn.sender else None
        if sender_hash and turn.channel == "sms":
            conv = s.scalars(
                select(Conversation)
                .where(Conversation.sender_hash == sender_hash, Conversation.channel == "sms",
                       Conversation.state != "ended")
                .order_by(Conversation.last_message_at.desc())
            ).first()
            if conv is not None:
                idle = (utcnow() - as_utc(conv.last_message_at)).total_seconds()
                if idle < SMS_CONVERSATION_IDLE or conv.state in ("queued", "with_worker"):
                    return conv
        conv = Conversation(channel=turn.channel, sender_hash=sender_hash,
                            contact_enc=turn.sender if turn.channel == "sms" else None,
                            country_code=turn.country_code)
        if turn.conversation_id:
            conv.id = turn.conversation_id
        if turn.language_hint in i18n.supported_languages():
            conv.language, conv.language_source = turn.language_hint, "chosen"
        s.add(conv)
        s.flush()
        return conv

    def _store_inbound(self, s: Session, conv: Conversation, turn: InboundTurn, text: str) -> Message | None:
        msg = Message(conversation_id=conv.id, direction="in", author="person", body=text,
                      external_id=turn.external_id)
        if turn.external_id:
            try:
                with s.begin_nested():
                    s.add(msg)
                    s.flush()
            except IntegrityError:
                return None
        else:
            s.add(msg)
            s.flush()
        conv.last_message_at = utcnow()
        return msg

    def _settle_language(self, conv: Conversation, turn: InboundTurn, text: str) -> None:
        supported = i18n.supported_languages()
        if turn.language_hint in supported:
            conv.language, conv.language_source = turn.language_hint, "chosen"
            return
        if conv.language_source == "chosen":
            return
        previous = conv.language if conv.language_source == "detected" else None
        guess = detect_language(text, previous=previous, country_code=conv.country_code)
        if guess.lang not in supported:
            if conv.language is None:
                conv.language, conv.language_source = self.settings.default_language, "default"
            return
        # ``switch`` is the detector's own judgement of enough evidence: to leave a detected
        # language, or (previous None) to replace the page's default; weak guesses never count.
        if guess.switch:
            conv.language, conv.language_source = guess.lang, "detected"

    def _parse(self, text: str) -> ParseResult | None:
        try:
            return self.assistant.parse(text)
        except AssistantUnavailable:
            return None

    def _yes_no(self, kind: str | None, parse: ParseResult | None) -> bool | None:
        if kind == "yes":
            return True
        if kind in ("no", "skip"):
            return False
        if parse and parse.confidence >= INTENT_CONFIDENCE:
            if parse.intent in AFFIRM_INTENTS or parse.intent == "ask_human":
                return True
            if parse.intent in DENY_INTENTS:
                return False
        return None

    def _bot_replies(self, s: Session, conv: Conversation, text: str, greeting: bool = False) -> list[Reply]:
        metadata = {"language": conv.language, "channel": conv.channel, "audience": conv.audience}
        try:
            bot = self.assistant.send(conv.id, text, metadata)
        except AssistantUnavailable:
            log.warning("assistant unavailable for conversation %s", conv.id[:6])
            keys = ["greet", "safety_check"] if greeting else ["handover.offer"]
            if not greeting:
                conv.state, conv.handover_offered = "awaiting_consent", True
            return [self._render(conv, k) for k in keys]
        replies: list[Reply] = []
        for item in bot:
            replies.extend(self._apply_directive(s, conv, item))
        if any(r.key == "fallback" for r in replies):
            conv.fallback_streak += 1
            if conv.fallback_streak >= 2:
                conv.fallback_streak = 0
                replies = [r for r in replies if r.key != "fallback"]
                replies.append(self._render(conv, "fallback.offer_person"))
                conv.state, conv.handover_offered = "awaiting_consent", True
        elif replies:
            conv.fallback_streak = 0
        return replies

    def _apply_directive(self, s: Session, conv: Conversation, item: BotReply) -> list[Reply]:
        directive = item.directive
        if directive == "offer_handover":
            return [self._offer_handover(conv)]
        if directive == "language_menu":
            conv.state = "awaiting_language"
            return [self._language_menu(conv)]
        if directive == "audience_child":
            conv.child, conv.audience = True, "child"
        reply = self._render(conv, item.key, **item.params)
        if directive == "report_submitted":
            conv.tier = combine(conv.tier, "P2")
            handover = handovers.request_handover(s, conv, shared={"report": item.params})
            handover.status = "queued"
        if directive == "end_conversation":
            conv.state, conv.ended_at, conv.ended_reason = "ended", utcnow(), "stop"
        return [reply]

    def _offer_handover(self, conv: Conversation) -> Reply:
        conv.state, conv.handover_offered = "awaiting_consent", True
        return self._render(conv, "handover.offer")

    def _consented(self, s: Session, conv: Conversation) -> list[Reply]:
        handover = handovers.request_handover(s, conv)
        self._translate_transcript(s, conv)
        if not handovers.on_duty_workers(s):
            conv.state = "awaiting_contact"
            return [self._render(conv, "handover.no_staff")]
        conv.state = "queued"
        waiting = s.scalars(select(Handover).where(Handover.status == "queued")).all()
        minutes = max(2, 3 * len([h for h in waiting if TIER_ORDER[h.tier] <= TIER_ORDER[handover.tier]]))
        return [self._render(conv, "handover.accepted", wait_minutes=minutes)]

    def _language_menu(self, conv: Conversation) -> Reply:
        from hotline.language.choice import menu_order

        supported = i18n.supported_languages()
        menu = [code for code in menu_order() if code in supported]
        lines = [f"{i}. {i18n.language_meta(code)['native_name']}" for i, code in enumerate(menu, 1)]
        sep = "\n" if conv.channel != "voice" else ". "
        return self._render(conv, "language.menu", languages_menu=sep.join(lines))

    def _sms_keyword(self, s: Session, conv: Conversation, inbound: Message, kind: str, kw_lang: str) -> TurnResult:
        # A keyword in a language of its own ("AIUTO", "INFORMATII") says which language to answer
        # in, unless the person chose one. The universal English words (STOP, HELP) say nothing: a
        # Romanian conversation that sends STOP is answered in Romanian.
        universal = kw_lang == "en" and conv.language is not None
        if kw_lang in i18n.supported_languages() and conv.language_source != "chosen" and not universal:
            conv.language, conv.language_source = kw_lang, "detected"
        elif conv.language is None:
            conv.language, conv.language_source = self.settings.default_language, "default"
        if kind == "stop":
            conv.opted_out = True
            reply = self._render(conv, "sms.stop_confirm")
            if handovers.open_handover(s, conv):
                self._system_note_to_worker(s, conv, "person_opted_out")
        elif kind == "start":
            conv.opted_out = False
            reply = self._render(conv, "sms.start_confirm")
        else:
            reply = self._render(conv, "sms.help")
        return self._finish(s, conv, inbound, [reply])

    # ------------------------------------------------------------------ worker side
    def _forward_to_worker(self, s: Session, conv: Conversation, inbound: Message) -> None:
        if inbound.lang and inbound.lang != self.settings.staff_language:
            s.info.setdefault("translate", set()).add(inbound.id)
        bus.publish(conversation_topic(conv.id), {"event": "message", "message_id": inbound.id})

    def _translate_transcript(self, s: Session, conv: Conversation) -> None:
        staff_lang = self.settings.staff_language
        for msg in s.scalars(select(Message).where(Message.conversation_id == conv.id)).all():
            if msg.translation is None and msg.lang and msg.lang != staff_lang and msg.author == "person":
                s.info.setdefault("translate", set()).add(msg.id)

    def _translate_later(self, message_ids: list[int]) -> None:
        """Translate for the worker after the turn is answered: loading a translation model can take
        seconds, and the person's reply (above all a P0 reply) must never wait for it."""
        if message_ids and self._translate is not None:
            self._translation_pool.submit(self.translate_for_staff, sorted(message_ids))

    def translate_for_staff(self, message_ids: list[int]) -> None:
        """Attach the staff-language translation (marked as machine translation) to messages."""
        staff_lang = self.settings.staff_language
        for message_id in message_ids:
            with session_scope() as s:
                msg = s.get(Message, message_id)
                if msg is None or msg.translation is not None or not msg.lang or msg.lang == staff_lang:
                    continue
                body, source, conv_id = msg.body, msg.lang, msg.conversation_id
            try:
                result = self._translate(body, source, staff_lang) if self._translate else None
            except Exception:  # noqa: BLE001 - translation is a help, never a blocker
                log.warning("translation failed for a message (%s->%s)", source, staff_lang)
                continue
            if result is None or not getattr(result, "available", False) or not getattr(result, "machine", False):
                continue
            with session_scope() as s:
                msg = s.get(Message, message_id)
                if msg is not None:
                    msg.translation, msg.translation_lang, msg.translation_machine = result.text, staff_lang, True
            bus.publish(conversation_topic(conv_id), {"event": "translation", "message_id": message_id})

    def _system_note_to_worker(self, s: Session, conv: Conversation, event: str) -> None:
        note = Message(conversation_id=conv.id, direction="in", author="system", body=event, key=event)
        s.add(note)
        s.flush()
        bus.publish(conversation_topic(conv.id), {"event": event, "message_id": note.id})
        bus.publish(QUEUE_TOPIC, {"event": event, "conversation_id": conv.id})

    def _update_open_handover(self, s: Session, conv: Conversation) -> None:
        handover = handovers.open_handover(s, conv)
        if handover is not None:
            if TIER_ORDER[conv.tier] < TIER_ORDER[handover.tier]:
                handover.tier = conv.tier
                bus.publish(QUEUE_TOPIC, {"event": "tier_raised", "handover_id": handover.id})
            handover.child = handover.child or conv.child
            handover.indicators = sorted(set(handover.indicators or []) | set(conv.indicators or []))
            handover.reasons = handovers.reasons_of(s, conv)

    # ------------------------------------------------------------------ rendering and storing
    def _render(self, conv: Conversation, key: str, lang: str | None = None, **params: Any) -> Reply:
        language = lang or conv.language or self.settings.default_language
        text = i18n.render(key, language, audience=conv.audience, channel=conv.channel, **params)
        return Reply(text=text, key=key, author="bot", lang=language)

    def _finish(self, s: Session, conv: Conversation, inbound: Message | None, replies: list[Reply]) -> TurnResult:
        for reply in replies:
            out = Message(conversation_id=conv.id, direction="out", author=reply.author, body=reply.text,
                          lang=reply.lang, key=reply.key, reply_to_id=inbound.id if inbound else None)
            s.add(out)
            s.flush()
            bus.publish(conversation_topic(conv.id), {"event": "message", "message_id": out.id})
        conv.last_message_at = utcnow()
        return TurnResult(conversation_id=conv.id, replies=replies, language=conv.language or "en",
                          tier=conv.tier, state=conv.state, ended=conv.state == "ended")

    def _stored_replies(self, s: Session, conv: Conversation, inbound: Message) -> TurnResult:
        rows = s.scalars(select(Message).where(Message.reply_to_id == inbound.id).order_by(Message.id)).all()
        replies = [Reply(text=m.body, key=m.key, author=m.author, lang=m.lang) for m in rows]
        return TurnResult(conversation_id=conv.id, replies=replies, language=conv.language or "en",
                          tier=conv.tier, state=conv.state, duplicate=True, ended=conv.state == "ended")

    def _erase_locked(self, s: Session, conv: Conversation, reason: str) -> None:
        handover = handovers.open_handover(s, conv)
        count_conversation(s, conv, outcome=reason)
        if handover is not None:
            handover.person_left_at = utcnow()
            handovers.raise_alert(s, "person_left", conv, handover)
            self._system_note_to_worker(s, conv, "person_left")
            # The summary stays for the worker until the case is closed (POLICY.md §3); messages go
            # once the handover closes (retention). The number to reply to is erased now.
        else:
            s.execute(delete(Message).where(Message.conversation_id == conv.id))
            s.execute(delete(ContactRequest).where(ContactRequest.conversation_id == conv.id))
        conv.contact_enc = None
        conv.token_hash = None
        conv.state, conv.ended_at, conv.ended_reason = "ended", utcnow(), reason
        conv.opted_out = True

    def _lock_for(self, conversation_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks[conversation_id]

    # ---- voice
    # Methods the voice channel (hotline/channels/voice.py) needs beyond handle_turn: a call has no
    # first message to create its conversation, choices made on the keypad, and a warm transfer
    # whose steps happen outside any turn. Storage stays behind the core.
    def start_call(self, conversation_id: str, caller: str | None, country_code: str | None) -> None:
        """Create the call's conversation (id derived from the CallSid by the channel) unless a retry
        of the same webhook already did. The caller's number is kept only as a keyed hash."""
        with self._lock_for(conversation_id), session_scope() as s:
            if s.get(Conversation, conversation_id) is not None:
                return
            conv = Conversation(id=conversation_id, channel="voice", country_code=country_code,
                                sender_hash=hash_identifier(caller) if caller else None,
                                language=self.settings.default_language, language_source="default")
            try:
                with s.begin_nested():
                    s.add(conv)
                    s.flush()
            except IntegrityError:  # a concurrent retry created it first
                return

    def call_state(self, conversation_id: str) -> dict[str, Any] | None:
        """What the voice channel needs to pick its next prompt (no content). ``turns``: the
        caller's utterances so far, which numbers the next one (its idempotence key)."""
        with session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                return None
            turns = len(s.scalars(select(Message.id).where(Message.conversation_id == conv.id,
                                                           Message.direction == "in", Message.author == "person")).all())
            return {"turns": turns, "language": conv.language or self.settings.default_language,
                    "language_source": conv.language_source, "audience": conv.audience, "state": conv.state,
                    "tier": conv.tier, "child": conv.child, "emergency_shown": conv.emergency_shown}

    def choose_call_language(self, conversation_id: str, language: str, chosen: bool = True) -> TurnResult:
        """The caller chose a language (keypad or speech): sticky, and the assistant greets in it,
        as start_web does, so the assistant's dialogue starts in step with the call. ``chosen``
        False: nobody chose (the menu went unanswered), so detection may still switch it."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or language not in i18n.supported_languages():
                raise KeyError(conversation_id)
            conv.language, conv.language_source = language, "chosen" if chosen else "default"
            replies = self._bot_replies(s, conv, "/greet", greeting=True)
            return self._finish(s, conv, None, replies)

    def call_wants_person(self, conversation_id: str, staff_reachable: bool) -> TurnResult:
        """The caller pressed the person key (or said "person" before any conversation): an explicit
        request, so it is the consent itself. ``staff_reachable``: a worker with a phone is on duty;
        otherwise the no-staff reply comes at once."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise KeyError(conversation_id)
            if conv.state in ("queued", "with_worker"):
                return self._finish(s, conv, None, [])
            conv.handover_offered = True
            if staff_reachable:
                replies = self._consented(s, conv)
            else:
                handovers.request_handover(s, conv)
                replies = [self._call_no_staff_locked(s, conv)]
            return self._finish(s, conv, None, replies)

    def call_queued(self, conversation_id: str, call_sid: str, conference_name: str) -> tuple[int, str, bool] | None:
        """The caller is waiting in the conference: remember the call and the conference on the
        open handover (the call is redirected through it if nobody takes it). Returns the handover
        id, the conference to use and whether it is new: a retried webhook or a second press of
        the person key goes back to the same conference and rings nobody twice."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            handover = handovers.open_handover(s, conv) if conv is not None else None
            if handover is None:
                return None
            if handover.conference_name and handover.call_sid == call_sid:
                return handover.id, handover.conference_name, False
            handover.call_sid, handover.conference_name = call_sid, conference_name
            return handover.id, conference_name, True

    def call_no_staff(self, conversation_id: str, already_told: bool = False) -> TurnResult:
        """Nobody with a phone took the call: the caller leaves the queue (there is no audio to join
        later), hears the emergency and partner numbers and may stay with the assistant or leave a
        safe time to be called back. ``already_told``: the core's own no-staff reply was just given."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise KeyError(conversation_id)
            reply = self._call_no_staff_locked(s, conv)
            return self._finish(s, conv, None, [] if already_told else [reply])

    def _call_no_staff_locked(self, s: Session, conv: Conversation) -> Reply:
        handover = handovers.open_handover(s, conv)
        if handover is not None and handover.status == "queued":
            handover.status, handover.closed_at = "cancelled", utcnow()
            bus.publish(QUEUE_TOPIC, {"event": "cancelled", "handover_id": handover.id})
        if conv.state != "ended":
            conv.state = "bot"
        return self._render(conv, "handover.no_staff")

    def call_contact_ask(self, conversation_id: str) -> TurnResult:
        """The caller wants a call back: the next thing they say is the safe time (stored encrypted)."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise KeyError(conversation_id)
            conv.state = "awaiting_contact"
            return self._finish(s, conv, None, [self._render(conv, "handover.contact_ask")])

    def call_callback_number(self, conversation_id: str, number: str) -> None:
        """The caller left a safe time to be called back: only now is their number kept, encrypted
        (POLICY.md §5), and it is erased with the conversation."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            has_request = conv is not None and s.scalars(
                select(ContactRequest.id).where(ContactRequest.conversation_id == conv.id)).first() is not None
            if conv is not None and has_request and number:
                conv.contact_enc = number

    def call_ended(self, conversation_id: str) -> int | None:
        """The caller hung up. A handover still waiting is cancelled and its worker told (a system
        note); an active one stays for the worker to close. Returns the cancelled handover's id."""
        with self._lock_for(conversation_id), session_scope() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.state == "ended":
                return None
            handover = handovers.open_handover(s, conv)
            cancelled = None
            if handover is not None and handover.status == "queued":
                cancelled = handover.id
                handover.status, handover.closed_at, handover.person_left_at = "cancelled", utcnow(), utcnow()
                bus.publish(QUEUE_TOPIC, {"event": "cancelled", "handover_id": handover.id})
                self._system_note_to_worker(s, conv, "person_left")
            count_conversation(s, conv, outcome="hangup")
            conv.state, conv.ended_at, conv.ended_reason = "ended", utcnow(), "hangup"
            return cancelled

