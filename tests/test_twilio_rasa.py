"""SMS and voice with the real assistant: Rasa and the action server from tests/rasa_servers.py."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline import i18n
from hotline.privacy.identifiers import hash_identifier
from hotline.storage.db import session_scope
from hotline.storage.models import Conversation, Message
from rasa_servers import rasa_action_server, rasa_servers  # noqa: F401 - pytest fixtures
from twilio_fake import ACCOUNT, FROM_NUMBER, FakeTwilio, signed_post, start_fake_twilio, twilio_environment, \
    warm_models

pytestmark = pytest.mark.rasa


@pytest.fixture
def app(hotline_env, monkeypatch: pytest.MonkeyPatch, rasa_servers) -> Iterator[tuple[TestClient, FakeTwilio]]:  # type: ignore[no-untyped-def]  # noqa: F811
    from hotline.app import create_app
    from hotline.channels.sms import twilio_client

    fake, server = start_fake_twilio()
    monkeypatch.setenv("HOTLINE_RASA_URL", rasa_servers.url)
    monkeypatch.setenv("HOTLINE_ACTION_SERVER_URL", rasa_servers.actions_url)
    twilio_environment(monkeypatch, fake)
    warm_models()
    with TestClient(create_app()) as client:
        yield client, fake
    twilio_client.cache_clear()
    server.shutdown()
    server.server_close()


def test_romanian_sms_is_answered_by_the_assistant_in_romanian(app) -> None:  # type: ignore[no-untyped-def]
    client, fake = app
    sender = "+40721000666"
    params = {"MessageSid": "SM" + "7" * 32, "AccountSid": ACCOUNT, "From": sender, "To": FROM_NUMBER,
              "Body": "buna, am nevoie de ajutor"}
    resp = signed_post(client, "/twilio/sms", params)
    assert resp.status_code == 200
    texts = [m.text for m in ET.fromstring(resp.text).findall("Message")]
    with session_scope() as s:
        conv = s.scalars(select(Conversation).where(Conversation.sender_hash == hash_identifier(sender))).one()
        assert conv.language == "ro"
        replies = s.scalars(select(Message).where(Message.conversation_id == conv.id, Message.direction == "out")
                            .order_by(Message.id)).all()
        keys = [m.key for m in replies]
    assert keys and all(m.lang == "ro" for m in replies)
    assert "need_help" in keys, keys  # the assistant understood; not the safety net's reply
    expected = [i18n.render(k, "ro", channel="sms") for k in keys]
    assert "\n\n".join(texts) == "\n\n".join(expected) or texts == expected
    assert fake.messages() == []  # answered inline


def test_call_in_ukrainian_rights_question_answered_by_the_assistant(app) -> None:  # type: ignore[no-untyped-def]
    from hotline.channels.voice import conversation_id_for

    client, _fake = app
    sid = "CA" + "71" * 16
    call = {"CallSid": sid, "AccountSid": ACCOUNT, "From": "+380501112233", "To": FROM_NUMBER}
    assert signed_post(client, "/twilio/voice", call).status_code == 200
    greeted = ET.fromstring(signed_post(client, "/twilio/voice/menu?step=first", {**call, "Digits": "3"}).text)
    voice = i18n.voice_settings("uk")
    assert all(say.get("voice") == voice["say_voice"] for say in greeted.iter("Say"))
    answer = ET.fromstring(signed_post(client, "/twilio/voice/turn?t=1",
                                       {**call, "SpeechResult": "Які в мене права?", "Confidence": "0.9"}).text)
    listen = answer.find("Gather")
    assert listen is not None and listen.get("language") == voice["gather_language"]
    spoken = [say.text for say in listen.iter("Say")]
    with session_scope() as s:
        replies = s.scalars(select(Message).where(Message.conversation_id == conversation_id_for(sid),
                                                  Message.direction == "out").order_by(Message.id)).all()
        last = [m for m in replies if m.reply_to_id is not None]
        keys = [m.key for m in last]
    assert any(k.startswith("rights.") for k in keys), keys  # the assistant answered the question
    assert spoken == [i18n.render(k, "uk", channel="voice") for k in keys]
