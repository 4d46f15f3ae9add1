"""The Twilio SMS channel through its real HTTP endpoints, signed as Twilio signs them.

Rasa is unreachable (the core answers safely without it). Outbound SMS (a worker's reply, a
system message) go through the real twilio REST client to tests/twilio_fake.py.
"""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hotline import i18n
from hotline.channels.sms import MAX_SEGMENTS, reply_texts, twiml as sms_twiml
from hotline.conversation.types import Reply, TurnResult
from hotline.handover.queue import accept
from hotline.privacy.identifiers import hash_identifier
from hotline.sms_segments import fits
from hotline.storage.db import session_scope
from hotline.storage.models import Conversation, Handover, Message, StaffUser, utcnow
from twilio_fake import ACCOUNT, FROM_NUMBER, PUBLIC, FakeTwilio, sign, signed_post, start_fake_twilio, \
    twilio_environment, warm_models

ROMANIAN = "+40721000222"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    fake, server = start_fake_twilio()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def app(hotline_env, monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    from hotline.app import create_app
    from hotline.channels.sms import twilio_client

    twilio_environment(monkeypatch, fake)
    warm_models()
    with TestClient(create_app()) as client:
        yield client
    twilio_client.cache_clear()


def sms(sender: str, body: str, sid: str) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": sender, "To": FROM_NUMBER, "Body": body,
            "NumMedia": "0", "NumSegments": "1"}


def texts_of(resp) -> list[str]:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(resp.text)
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)
    return [child.text or "" for child in root]


def conversation_of(sender: str) -> Conversation:
    with session_scope() as s:
        conv = s.scalars(select(Conversation).where(Conversation.sender_hash == hash_identifier(sender))
                         .order_by(Conversation.created_at.desc())).first()
        assert conv is not None
        s.expunge(conv)
        return conv


def external_id_of(message_id: int) -> str | None:
    with session_scope() as s:
        return s.get(Message, message_id).external_id


def wait_until(check, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


# ------------------------------------------------------------------ signatures
@pytest.mark.parametrize("path", ["/twilio/sms", "/twilio/sms/status"])
def test_wrong_signatures_are_refused(app: TestClient, path: str) -> None:
    params = sms("+40700000001", "hello", "SM" + "1" * 32)
    assert app.post(path, data=params).status_code == 403
    assert app.post(path, data=params, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}).status_code == 403
    wrong_token = sign(PUBLIC + path, params, token="not-the-token")
    assert app.post(path, data=params, headers={"X-Twilio-Signature": wrong_token}).status_code == 403
    tampered = {**params, "Body": "something else"}
    assert app.post(path, data=tampered, headers={"X-Twilio-Signature": sign(PUBLIC + path, params)}).status_code == 403
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0


def test_without_an_auth_token_everything_is_refused(app: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from hotline.settings import reset_settings

    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    reset_settings()
    params = sms("+40700000001", "hello", "SM" + "2" * 32)
    assert signed_post(app, "/twilio/sms", params).status_code == 403


# ------------------------------------------------------------------ retries
def test_twilio_retry_of_the_same_message_sid_gets_the_same_answer_stored_once(app: TestClient) -> None:
    params = sms("+447700900001", "they took my passport and I cannot leave", "SM" + "3" * 32)
    first = texts_of(signed_post(app, "/twilio/sms", params))
    second = texts_of(signed_post(app, "/twilio/sms", params))
    assert first == second and first
    conv = conversation_of("+447700900001")
    with session_scope() as s:
        rows = s.scalars(select(Message).where(Message.conversation_id == conv.id)).all()
        inbound = [m for m in rows if m.direction == "in"]
        assert len(inbound) == 1 and inbound[0].external_id == params["MessageSid"]
        outbound_before = len([m for m in rows if m.direction == "out"])
        assert outbound_before >= 1
    texts_of(signed_post(app, "/twilio/sms", params))
    with session_scope() as s:
        assert len(s.scalars(select(Message).where(Message.conversation_id == conv.id,
                                                   Message.direction == "out")).all()) == outbound_before


# ------------------------------------------------------------------ keywords in every language
KEYWORD_REPLIES = {"stop": "sms.stop_confirm", "start": "sms.start_confirm", "help": "sms.help", "exit": "sms.exit_confirm"}


def keyword_cases(kind: str) -> list[tuple[str, str]]:
    return [(code, word) for code in i18n.supported_languages() for word in i18n.get_locale(code).keywords.get(kind) or []]


@pytest.mark.parametrize("kind", [
    "stop", "start", "exit",
    "help",
])
def test_every_sms_keyword_in_every_language(app: TestClient, kind: str) -> None:
    cases = keyword_cases(kind)
    assert {code for code, _ in cases} == set(i18n.supported_languages())
    for number, (code, word) in enumerate(cases):
        sender = f"+4915{len(kind)}00{number:06d}"
        matched = i18n.match_keyword(word)
        assert matched is not None and matched[0] == kind, (code, kind, word, matched)
        reply_lang = matched[1]  # a word several languages share answers in the first (contract order)
        if reply_lang != code:
            assert i18n.normalise(word) in {i18n.normalise(w) for w in i18n.get_locale(reply_lang).keywords[kind]}
        got = texts_of(signed_post(app, "/twilio/sms", sms(sender, word, f"SM{kind[:2]}{number:030d}")))
        assert got == [i18n.render(KEYWORD_REPLIES[kind], reply_lang, channel="sms")], (code, kind, word)
        conv = conversation_of(sender)
        if kind == "stop":
            assert conv.opted_out and conv.state != "ended"
        elif kind == "exit":
            assert conv.state == "ended" and conv.contact_enc is None
            with session_scope() as s:
                assert s.scalars(select(Message).where(Message.conversation_id == conv.id)).all() == []
        else:
            assert not conv.opted_out


def test_start_after_stop_opts_back_in(app: TestClient) -> None:
    sender = "+34600000001"
    texts_of(signed_post(app, "/twilio/sms", sms(sender, "STOP", "SM" + "4" * 32)))
    assert conversation_of(sender).opted_out
    assert texts_of(signed_post(app, "/twilio/sms", sms(sender, "START", "SM" + "5" * 32))) == [
        i18n.render("sms.start_confirm", "en", channel="sms")]
    assert not conversation_of(sender).opted_out


# ------------------------------------------------------------------ a Romanian conversation to a worker and STOP
def test_romanian_conversation_worker_reply_by_rest_then_stop(app: TestClient, fake: FakeTwilio) -> None:
    with session_scope() as s:
        ana = StaffUser(username="ana", first_name="Ana", password_hash="not-used", language="ro", on_duty=True,
                        last_seen_at=utcnow())
        s.add(ana)
        s.flush()
        ana_id = ana.id
    first = sms(ROMANIAN, "buna, am nevoie de ajutor", "SM" + "6" * 32)
    answer = texts_of(signed_post(app, "/twilio/sms", first))
    conv = conversation_of(ROMANIAN)
    assert conv.language == "ro" and conv.channel == "sms"
    assert answer == [i18n.render("handover.offer", "ro", channel="sms")]  # Rasa down: the safe reply, in Romanian
    assert texts_of(signed_post(app, "/twilio/sms", first)) == answer  # Twilio's retry
    assert fake.messages() == []  # answered inline, nothing sent by REST

    consent = texts_of(signed_post(app, "/twilio/sms", sms(ROMANIAN, "da", "SM" + "7" * 32)))
    assert consent == [i18n.render("handover.accepted", "ro", channel="sms", wait_minutes=3)]
    with session_scope() as s:
        handover = s.scalars(select(Handover).where(Handover.conversation_id == conv.id)).one()
        assert handover.status == "queued" and handover.channel == "sms" and handover.language == "ro"
        assert accept(s, handover.id, s.get(StaffUser, ana_id))
    core = app.app.state.core  # type: ignore[attr-defined]
    core.worker_joined(conv.id, "Ana")
    [joined] = fake.wait_for("Messages", 1)
    assert joined.account == ACCOUNT and joined.get("To") == ROMANIAN and joined.get("From") == FROM_NUMBER
    assert joined.get("Body") == i18n.render("handover.worker_joined", "ro", channel="sms", worker_name="Ana")
    assert joined.get("StatusCallback") == PUBLIC + "/twilio/sms/status"

    reply = "Bună, sunt Ana. Sunt aici să vă ajut. Ce s-a întâmplat?"
    message_id = core.worker_message(conv.id, ana_id, reply, staff_lang="ro")
    assert message_id is not None
    sent = fake.wait_for("Messages", 2)[-1]
    assert sent.get("Body") == reply and sent.get("To") == ROMANIAN
    assert wait_until(lambda: external_id_of(message_id) == sent.sid)
    status = {"MessageSid": sent.sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT}
    assert signed_post(app, "/twilio/sms/status", status).status_code == 204
    with session_scope() as s:
        assert s.get(Message, message_id).delivery_status == "delivered"

    stop = texts_of(signed_post(app, "/twilio/sms", sms(ROMANIAN, "STOP", "SM" + "8" * 32)))
    assert stop == [i18n.render("sms.stop_confirm", "ro", channel="sms")]  # the conversation's language
    with session_scope() as s:
        assert s.get(Conversation, conv.id).opted_out
        note = s.scalars(select(Message).where(Message.conversation_id == conv.id, Message.author == "system",
                                               Message.key == "person_opted_out")).one()
        assert note.direction == "in"
    before = len(fake.messages())
    assert core.worker_message(conv.id, ana_id, "Mai sunteți acolo?", staff_lang="ro") is None
    time.sleep(0.5)
    assert len(fake.messages()) == before  # nothing is sent after STOP


def test_twilio_refusing_an_outbound_sms_is_not_an_error_for_staff(app: TestClient, fake: FakeTwilio) -> None:
    sender = "+40721000333"
    texts_of(signed_post(app, "/twilio/sms", sms(sender, "person", "SM" + "9" * 32)))
    conv = conversation_of(sender)
    with session_scope() as s:
        worker = StaffUser(username="w", first_name="W", password_hash="x", on_duty=True, last_seen_at=utcnow())
        s.add(worker)
        s.flush()
        worker_id = worker.id
    texts_of(signed_post(app, "/twilio/sms", sms(sender, "yes", "SM" + "a" * 32)))
    with session_scope() as s:
        handover = s.scalars(select(Handover).where(Handover.conversation_id == conv.id)).one()
        accept(s, handover.id, s.get(StaffUser, worker_id))
    fake.fail_next.append(400)
    message_id = app.app.state.core.worker_message(conv.id, worker_id, "Hello, I'm here.", staff_lang="en")  # type: ignore[attr-defined]
    [refused] = fake.wait_for("Messages", 1)  # tried, and refused by Twilio
    assert refused.sid is None and refused.get("Body") == "Hello, I'm here."
    time.sleep(0.3)
    assert external_id_of(message_id) is None  # stored, not delivered, no exception


# ------------------------------------------------------------------ the safe-exit word
def test_safe_exit_word_erases_and_answers_neutrally(app: TestClient) -> None:
    sender = "+40721000444"
    texts_of(signed_post(app, "/twilio/sms", sms(sender, "patronul meu mi-a luat pașaportul", "SM" + "b" * 32)))
    conv = conversation_of(sender)
    exit_word = i18n.first_keyword("exit", "ro")
    answer = texts_of(signed_post(app, "/twilio/sms", sms(sender, exit_word, "SM" + "c" * 32)))
    assert answer == [i18n.render("sms.exit_confirm", "ro", channel="sms")]
    assert len(answer[0]) < 20 and "ajutor" not in answer[0].lower()  # says nothing about what this is
    with session_scope() as s:
        assert s.scalars(select(Message).where(Message.conversation_id == conv.id)).all() == []
        ended = s.get(Conversation, conv.id)
        assert ended.state == "ended" and ended.contact_enc is None
    # the next message starts afresh; nothing of the old one comes back
    texts_of(signed_post(app, "/twilio/sms", sms(sender, "salut", "SM" + "d" * 32)))
    assert conversation_of(sender).id != conv.id


def test_safe_exit_during_a_handover_tells_the_worker(app: TestClient) -> None:
    sender = "+40721000555"
    with session_scope() as s:
        s.add(StaffUser(username="w", first_name="W", password_hash="x", on_duty=True, last_seen_at=utcnow()))
    texts_of(signed_post(app, "/twilio/sms", sms(sender, "person", "SM" + "e" * 32)))
    texts_of(signed_post(app, "/twilio/sms", sms(sender, "yes", "SM" + "f" * 32)))
    conv = conversation_of(sender)
    answer = texts_of(signed_post(app, "/twilio/sms", sms(sender, "00", "SM" + "0" * 31 + "1")))
    assert answer == [i18n.render("sms.exit_confirm", "en", channel="sms")]
    with session_scope() as s:
        handover = s.scalars(select(Handover).where(Handover.conversation_id == conv.id)).one()
        assert handover.person_left_at is not None
        assert s.scalars(select(Message).where(Message.conversation_id == conv.id,
                                               Message.key == "person_left")).first() is not None
        assert s.get(Conversation, conv.id).contact_enc is None


# ------------------------------------------------------------------ segments
def test_replies_share_one_message_when_they_fit_else_one_message_each() -> None:
    short = TurnResult(conversation_id="c", replies=[Reply(text="First."), Reply(text="Second?")])
    assert reply_texts(short) == ["First.\n\nSecond?"]
    lead = i18n.render("emergency.lead", "uk", channel="sms")
    offer = i18n.render("handover.offer", "uk", channel="sms")
    long = TurnResult(conversation_id="c", replies=[Reply(text=lead), Reply(text=offer)])
    assert not fits(lead + "\n\n" + offer, MAX_SEGMENTS)
    texts = reply_texts(long)
    assert texts == [lead, offer] and all(fits(t, MAX_SEGMENTS) for t in texts)
    root = ET.fromstring(sms_twiml(texts).body)
    assert [m.text for m in root.findall("Message")] == texts
    assert reply_texts(TurnResult(conversation_id="c")) == []
