"""Whole conversations in each of the twelve languages, end to end.

Every turn goes through the real HTTP endpoints of the real application (web chat REST + WebSocket,
the signed Twilio SMS webhook), the conversation core, the real trained Rasa model and the action
server (one session for the whole test run, tests/rasa_servers.py). Nothing is mocked.

Each walk is what a person actually does: greet, answer the safety check, ask what their rights are
and one concrete question, then ask for a person. Messages are typed as people type them on a phone:
informal, without diacritics, short. For every turn the test checks

* the message keys the hotline answered with (the dialogue; bot/README.md "Dialogue, by message key"),
* the conversation's language (it must be the person's from the first reply: anchors-notes.md 7.3),
* that the text the person sees is exactly ``hotline.i18n.render`` of those keys in that language,
  for that channel (web text, SMS variant) - so a reply is never English by accident.

A failure here that comes from the model misreading a realistic message is fixed in
``data/nlu/<lang>.yml``, never by changing the message to one the model happens to know.
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import DEAD_URL, reset_caches
from hotline import i18n
from hotline.privacy.identifiers import hash_identifier
from hotline.storage.db import session_scope
from hotline.storage.models import Conversation, Message
from rasa_servers import RasaServers, rasa_action_server, rasa_servers  # noqa: F401  (session fixtures)

pytestmark = pytest.mark.rasa

TWILIO_TOKEN = "e2e-test-auth-token-0123456789ab"
TWILIO_ACCOUNT = "AC" + "e" * 32
HOTLINE_NUMBER = "+15005550006"
SMS_URL = "http://testserver/twilio/sms"


# ------------------------------------------------------------------ the application under test
@pytest.fixture(scope="session")
def warm_models() -> None:
    """Load the triage and language models once, as a running service does at start-up, so the
    first SMS of a test is not answered late (past the inline deadline) while they load."""
    from hotline.conversation.core import ConversationCore

    ConversationCore.warm_up(None)  # type: ignore[arg-type]  # uses no instance state


@pytest.fixture
def hotline_app(hotline_env: Path, rasa_servers: RasaServers, warm_models: None,  # noqa: F811
                monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The real application on a fresh database, talking to the session's real Rasa."""
    from hotline.app import create_app
    from hotline.channels.sms import twilio_client

    monkeypatch.setenv("HOTLINE_RASA_URL", rasa_servers.url)
    monkeypatch.setenv("HOTLINE_ACTION_SERVER_URL", rasa_servers.actions_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", HOTLINE_NUMBER)
    monkeypatch.setenv("TWILIO_API_BASE", DEAD_URL)  # nothing in these walks may send an SMS by REST
    monkeypatch.delenv("HOTLINE_PUBLIC_BASE_URL", raising=False)
    reset_caches()
    twilio_client.cache_clear()
    with TestClient(create_app()) as client:
        yield client
    twilio_client.cache_clear()


# ------------------------------------------------------------------ web chat, as the page uses it
class WebChat:
    """One web conversation driven through the page's own endpoints."""

    def __init__(self, client: TestClient, page_language: str | None) -> None:
        self.client = client
        resp = client.post("/api/conversations", json={"language": page_language, "chosen": False})
        assert resp.status_code == 201, resp.text
        data = resp.json()
        self.id: str = data["id"]
        self.auth = {"Authorization": "Bearer " + data["token"]}
        self.token: str = data["token"]
        self.language: str = data["language"]
        self.opening: list[dict[str, Any]] = data["messages"]
        self.last_id = max((m["id"] for m in self.opening), default=0)

    def say(self, text: str) -> tuple[list[str], list[dict[str, Any]]]:
        """Send one message; the keys of the reply and the messages the page then shows."""
        resp = self.client.post(f"/api/conversations/{self.id}/messages", json={"text": text}, headers=self.auth)
        assert resp.status_code == 202, resp.text
        body = resp.json()
        self.language = body["language"]
        shown = self.shown_since(self.last_id)
        if shown:
            self.last_id = max(m["id"] for m in shown)
        return body["replies"], [m for m in shown if m["author"] != "person"]

    def shown_since(self, since: int) -> list[dict[str, Any]]:
        """What the page's WebSocket delivers after message ``since`` (the person's view)."""
        with self.client.websocket_connect(f"/api/conversations/{self.id}/ws") as ws:
            ws.send_json({"token": self.token, "since": since})
            first = ws.receive_json()
        if first["type"] != "messages":
            return []
        return first["messages"]

    def audience(self) -> str:
        with session_scope() as s:
            conv = s.get(Conversation, self.id)
            assert conv is not None
            return conv.audience


TIER_ORDER = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}


@dataclass(frozen=True)
class Before:
    """The conversation just before a turn: what decides whether the core may add an offer."""

    tier: str = "P3"
    offered: bool = False


def snapshot(conv: Conversation | None) -> Before:
    return Before(conv.tier, bool(conv.handover_offered)) if conv is not None else Before()


def check_keys(where: str, got: list[str], expected: list[str], before: Before, after: Conversation,
               reasons: list[str]) -> None:
    """The reply must be exactly ``expected``, with one designed exception: when this message raised
    the conversation's tier to P1 or P2 and no person had been offered yet, the core adds
    ``handover.offer`` after the assistant's reply (core.py, TRIAGE.md). The emergency path (P0)
    is never acceptable for the ordinary messages of these walks."""
    if got == expected:
        return
    raised = TIER_ORDER[after.tier] < TIER_ORDER[before.tier]
    if (got == expected + ["handover.offer"] and "handover.offer" not in expected and raised
            and after.tier in ("P1", "P2") and not before.offered):
        return
    why = f" (triage raised {before.tier}->{after.tier}: {reasons})" if raised else ""
    raise AssertionError(f"{where}: replied {got}, expected {expected}{why}")


def asking_for_a_person(conv: Conversation | None, text: str) -> list[str]:
    """What asking for a person gets: the offer, or, when an offer is already open (the core made
    one after a message raised the tier), the request is the yes to it; nobody is on duty in these
    tests, so the answer is the no-staff reply (handover.no_staff), which asks for a safe contact.
    A whole-message "person" keyword is handled before the open offer and offers again."""
    keyword = i18n.match_keyword(text)
    if keyword and keyword[0] == "person":
        return ["handover.offer"]
    if conv is not None and conv.state == "awaiting_consent":
        return ["handover.no_staff"]
    return ["handover.offer"]


def conversation_row(conv_id: str) -> Conversation:
    with session_scope() as s:
        conv = s.get(Conversation, conv_id)
        assert conv is not None
        s.expunge(conv)
        return conv


def last_inbound_reasons(conv_id: str) -> list[str]:
    """Why the triage rated the person's last message as it did (codes and patterns, no text)."""
    with session_scope() as s:
        msg = s.scalars(select(Message).where(Message.conversation_id == conv_id, Message.direction == "in",
                                              Message.author == "person").order_by(Message.id.desc())).first()
        return list(msg.triage_reasons or []) if msg is not None else []


def expect_web(chat: WebChat, text: str, keys: list[str], lang: str, audience: str | None = None) -> list[str]:
    """One web turn: the reply keys, the conversation's language and the exact text shown.

    ``audience``: the variant the text must be in; by default the conversation's own audience
    after the turn (a child cue in the message switches it at once: core.py, TRIAGE.md)."""
    before = snapshot(conversation_row(chat.id))
    got, shown = chat.say(text)
    after = conversation_row(chat.id)
    check_keys(f"[{lang}] {text!r}", got, keys, before, after, last_inbound_reasons(chat.id))
    assert chat.language == lang, f"[{lang}] {text!r}: conversation language became {chat.language}"
    assert [m["key"] for m in shown] == got
    audience = audience or after.audience
    for message in shown:
        assert message["lang"] == lang
        assert message["text"] == i18n.render(message["key"], lang, audience=audience, channel="web"), \
            (lang, message["key"])
    return got


# ------------------------------------------------------------------ SMS, signed as Twilio signs it
class SmsPhone:
    """One phone texting the hotline through the signed Twilio webhook."""

    def __init__(self, client: TestClient, number: str) -> None:
        self.client, self.number = client, number

    def send(self, body: str) -> tuple[list[str], list[str], Conversation]:
        """Text ``body``; the TwiML bodies, the keys of this turn's replies, the conversation."""
        from twilio.request_validator import RequestValidator

        params = {"From": self.number, "To": HOTLINE_NUMBER, "Body": body, "AccountSid": TWILIO_ACCOUNT,
                  "MessageSid": "SM" + uuid.uuid4().hex}
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(SMS_URL, params)
        resp = self.client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
        assert resp.status_code == 200, resp.text
        conv = self.conversation()
        assert conv is not None
        root = ET.fromstring(resp.text)
        assert root.tag == "Response"
        texts = [child.text or "" for child in root if child.tag == "Message"]
        with session_scope() as s:
            inbound = s.scalars(select(Message).where(Message.external_id == params["MessageSid"])).one()
            keys = list(s.scalars(select(Message.key).where(Message.reply_to_id == inbound.id).order_by(Message.id)))
        return texts, keys, conv

    def conversation(self) -> Conversation | None:
        """The phone's latest conversation (found by the keyed hash of the number, as the core does)."""
        with session_scope() as s:
            conv = s.scalars(select(Conversation).where(Conversation.sender_hash == hash_identifier(self.number))
                             .order_by(Conversation.created_at.desc())).first()
            if conv is not None:
                s.expunge(conv)
            return conv


def expect_sms(phone: SmsPhone, text: str, keys: list[str], lang: str, audience: str | None = None) -> Conversation:
    """One SMS turn: the reply keys, the language and the exact SMS text (the locale's SMS variant)."""
    before = snapshot(phone.conversation())
    texts, got, conv = phone.send(text)
    check_keys(f"[{lang}] SMS {text!r}", got, keys, before, conv, last_inbound_reasons(conv.id))
    assert conv.language == lang, f"[{lang}] SMS {text!r}: conversation language became {conv.language}"
    expected = [i18n.render(k, lang, audience=audience or conv.audience, channel="sms") for k in got]
    assert "\n\n".join(texts) == "\n\n".join(expected), (lang, got)
    return conv


# ------------------------------------------------------------------ what people write, per language
@dataclass(frozen=True)
class Walk:
    """One person's conversation: greeting, yes to the safety check, a general rights question,
    one concrete rights question (message, expected key), a request for a person."""

    greeting: str
    safe: str
    rights: str
    topic: tuple[str, str]
    person: str


@dataclass(frozen=True)
class Speaker:
    lang: str
    number: str  # the SMS sender: a mobile number of a country where the language is spoken
    web: Walk
    sms: Walk


# Topics are spread over the languages so that every rights topic is asked in some language, on
# the web and by SMS, in the words a survivor would use (seed notes: rights topics 1-3).
SPEAKERS = [
    Speaker("en", "+447700900123",
            Walk("hi", "yes im on my own", "what are my rights",
                 ("do i have to go to the police", "rights.police"), "can i talk to a real person"),
            Walk("hello, is anyone there?", "yeah its safe", "what help can i get",
                 ("is there somewhere safe i can sleep tonight", "rights.accommodation"),
                 "i want to speak to someone real")),
    Speaker("ro", "+40721000333",
            Walk("buna", "da, sunt singura acum", "ce drepturi am?",
                 ("trebuie sa merg la politie?", "rights.police"), "pot sa vorbesc cu cineva adevarat?"),
            Walk("buna ziua", "da pot vorbi", "ce ajutor pot primi?",
                 ("am nevoie de un avocat gratuit", "rights.legal_advice"), "vreau sa vorbesc cu un om")),
    Speaker("uk", "+380671234567",
            Walk("привіт", "так, я сама", "які в мене права?",
                 ("мені потрібен лікар", "rights.health"), "можна поговорити з живою людиною?"),
            Walk("добрий день", "так можу говорити", "яку допомогу я можу отримати?",
                 ("чи можу я залишитися в країні легально?", "rights.residence"), "хочу поговорити з людиною")),
    Speaker("ru", "+79161234567",
            Walk("привет", "да я одна", "какие у меня права?",
                 ("меня накажут за то что я работала без документов?", "rights.non_punishment"),
                 "можно поговорить с живым человеком?"),
            Walk("здравствуйте", "да, можно", "какую помощь я могу получить?",
                 ("мне нужен переводчик", "rights.interpreter"), "хочу поговорить с человеком")),
    Speaker("bg", "+359881234567",
            Walk("здравей", "да, сама съм", "какви права имам?",
                 ("искам да се прибера у дома", "rights.return"), "може ли да говоря с истински човек?"),
            Walk("здравейте", "да мога да пиша", "каква помощ мога да получа?",
                 ("мога ли да си получа заплатата която не ми платиха?", "rights.compensation"),
                 "искам да говоря с консултант")),
    Speaker("sq", "+355691234567",
            Walk("pershendetje", "po, jam vetem", "cfare te drejtash kam?",
                 ("a eshte trafikim nese kam pranuar vete?", "rights.trafficking"),
                 "a mund te flas me nje njeri te vertete?"),
            Walk("mirdita", "po mund te flas", "cfare ndihme mund te marr?",
                 ("a do e marre vesh dikush? eshte konfidenciale?", "rights.confidentiality"),
                 "dua te flas me nje person")),
    Speaker("es", "+34612345678",
            Walk("hola", "si estoy sola", "cuales son mis derechos?",
                 ("tengo que ir a la policia?", "rights.police"), "puedo hablar con una persona de verdad?"),
            Walk("hola buenas", "si puedo hablar", "que ayuda puedo recibir?",
                 ("necesito un medico", "rights.health"), "quiero hablar con alguien")),
    Speaker("fr", "+33612345678",
            Walk("bonjour", "oui je suis seule", "c quoi mes droits?",
                 ("j'ai besoin d'un avocat gratuit", "rights.legal_advice"), "je peux parler a une vraie personne?"),
            Walk("bonsoir", "oui je peux parler", "quelle aide je peux avoir?",
                 ("est ce que c'est confidentiel?", "rights.confidentiality"), "je veux parler a quelqu'un")),
    Speaker("de", "+4915112345678",
            Walk("hallo", "ja bin allein", "was fur rechte hab ich?",
                 ("gibt es einen dolmetscher fur mich?", "rights.interpreter"),
                 "kann ich mit einem echten menschen reden?"),
            Walk("guten tag", "ja kann reden", "welche hilfe kann ich bekommen?",
                 ("darf ich in deutschland bleiben?", "rights.residence"), "ich will mit jemandem sprechen")),
    Speaker("it", "+393471234567",
            Walk("ciao", "si sono sola", "quali sono i miei diritti?",
                 ("ho bisogno di un posto sicuro dove dormire", "rights.accommodation"),
                 "posso parlare con una persona vera?"),
            Walk("buongiorno", "si posso parlare", "che aiuto posso avere?",
                 ("posso avere i soldi che non mi hanno pagato?", "rights.compensation"),
                 "voglio parlare con un operatore")),
    Speaker("pl", "+48601234567",
            Walk("czesc", "tak jestem sama", "jakie mam prawa?",
                 ("czy musze isc na policje?", "rights.police"), "moge porozmawiac z prawdziwym czlowiekiem?"),
            Walk("dzien dobry", "tak moge pisac", "jaka pomoc moge dostac?",
                 ("chce wrocic do domu", "rights.return"), "chce porozmawiac z kims")),
    Speaker("ar", "+201001234567",
            Walk("مرحبا", "نعم انا وحدي", "ما هي حقوقي؟",
                 ("هل سيعاقبونني لاني اشتغلت بدون اوراق؟", "rights.non_punishment"), "ممكن اتكلم مع شخص حقيقي؟"),
            Walk("السلام عليكم", "نعم استطيع الكلام", "ما المساعدة التي يمكن ان احصل عليها؟",
                 ("احتاج طبيب", "rights.health"), "اريد التحدث مع شخص")),
]
BY_LANG = {s.lang: s for s in SPEAKERS}


def test_every_supported_language_has_a_walk() -> None:
    """A thirteenth locale must come with its own end-to-end conversation here."""
    assert sorted(BY_LANG) == sorted(i18n.supported_languages())


# ------------------------------------------------------------------ the walks
@pytest.mark.parametrize("lang", [s.lang for s in SPEAKERS])
def test_whole_web_conversation(hotline_app: TestClient, lang: str) -> None:
    """The page opens in the browser's language (not a menu choice: detection may still correct
    it), the person greets, says it is safe, asks about their rights and then for a person."""
    walk = BY_LANG[lang].web
    chat = WebChat(hotline_app, page_language=lang)
    assert chat.language == lang
    assert [m["key"] for m in chat.opening] == ["greet", "safety_check"]
    assert [m["text"] for m in chat.opening] == [i18n.render(k, lang, channel="web") for k in ("greet", "safety_check")]

    expect_web(chat, walk.greeting, ["greet", "safety_check"], lang)
    expect_web(chat, walk.safe, ["safety_ok"], lang)
    expect_web(chat, walk.rights, ["rights.overview"], lang)
    expect_web(chat, walk.topic[0], [walk.topic[1]], lang)
    expect_web(chat, walk.person, asking_for_a_person(conversation_row(chat.id), walk.person), lang)


@pytest.mark.parametrize("lang", [s.lang for s in SPEAKERS])
def test_whole_sms_conversation(hotline_app: TestClient, lang: str) -> None:
    """A first SMS from an unknown number: the very first reply is already in the person's
    language, and so is every reply after it (SMS variants of the locale's text)."""
    speaker = BY_LANG[lang]
    walk = speaker.sms
    phone = SmsPhone(hotline_app, speaker.number)
    expect_sms(phone, walk.greeting, ["greet", "safety_check"], lang)
    expect_sms(phone, walk.safe, ["safety_ok"], lang)
    expect_sms(phone, walk.rights, ["rights.overview"], lang)
    expect_sms(phone, walk.topic[0], [walk.topic[1]], lang)
    keys = asking_for_a_person(phone.conversation(), walk.person)
    conv = expect_sms(phone, walk.person, keys, lang)
    # The hotline owns the yes/no that follows an offer; after a yes it waits for a safe contact.
    assert conv.state == ("awaiting_consent" if keys == ["handover.offer"] else "awaiting_contact")


def test_romanian_help_request_is_answered_in_romanian_from_the_first_sms(hotline_app: TestClient) -> None:
    """'buna, am nevoie de ajutor' as the first SMS, from a UK number (the country is no help):
    the first reply is Romanian, and a person is offered at once (bot/README.md: need_help)."""
    phone = SmsPhone(hotline_app, "+447700900456")
    conv = expect_sms(phone, "buna, am nevoie de ajutor", ["need_help", "handover.offer"], "ro")
    assert conv.state == "awaiting_consent"
    assert conv.language_source == "detected"
