"""The Twilio voice channel, driven as Twilio drives it: signed webhook requests, TwiML parsed.

Rasa is unreachable here (the core answers safely without it). Outbound calls go through the
real twilio REST client to tests/twilio_fake.py, which records them; the tests then make the
requests Twilio would make for those calls (the worker's whisper leg, its status callbacks).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from hotline import i18n
from hotline.channels import voice_transfer
from hotline.channels.voice import conversation_id_for
from hotline.channels.voice_twiml import keypad
from hotline.privacy.identifiers import hash_identifier
from hotline.storage.db import session_scope
from hotline.storage.models import ContactRequest, Conversation, Handover, Message, StaffUser, utcnow
from twilio_fake import ACCOUNT, FROM_NUMBER, PUBLIC, TOKEN, FakeTwilio, sign, signed_post, start_fake_twilio, \
    twilio_environment, warm_models

CALLER = "+380501234567"
ROMANIAN_CALLER = "+40721000111"


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
    voice_transfer._ringing.clear()
    with TestClient(create_app()) as client:
        yield client
    voice_transfer._ringing.clear()
    twilio_client.cache_clear()


def call_params(sid: str, caller: str = CALLER, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "AccountSid": ACCOUNT, "From": caller, "To": FROM_NUMBER, "CallStatus": "in-progress",
            "Direction": "inbound", **extra}


def twiml(resp) -> ET.Element:  # type: ignore[no-untyped-def]
    """Parse a TwiML answer and check what must hold for every one: nothing is ever recorded."""
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(resp.text)
    assert root.tag == "Response"
    assert root.find(".//Record") is None
    for element in root.iter():
        if element.tag in ("Dial", "Conference"):
            assert element.get("record") == "do-not-record"
        if element.tag == "Say":
            assert element.text and "{" not in element.text
    return root


def says(element: ET.Element) -> list[ET.Element]:
    return list(element.iter("Say"))


def voice_of(lang: str) -> tuple[str, str]:
    settings = i18n.voice_settings(lang)
    return settings["say_voice"], settings["say_language"]


def add_worker(name: str, phone: str | None, language: str = "en", on_duty: bool = True) -> int:
    with session_scope() as s:
        worker = StaffUser(username=name.lower(), first_name=name, password_hash="not-used", language=language,
                           phone_enc=phone, on_duty=on_duty, last_seen_at=utcnow())
        s.add(worker)
        s.flush()
        return worker.id


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC + "/"), url  # REST-created calls use the public URL Twilio can reach
    return url[len(PUBLIC):]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def gather_action(root: ET.Element) -> str:
    found = root.find("Gather")
    assert found is not None, ET.tostring(root)
    return found.get("action")  # type: ignore[return-value]


# ------------------------------------------------------------------ signatures
VOICE_PATHS = ["/twilio/voice", "/twilio/voice/worker/join?h=1&w=1", "/twilio/voice/menu?step=first", "/twilio/voice/turn?t=1", "/twilio/voice/callback",
               "/twilio/voice/hold?lang=uk", "/twilio/voice/after", "/twilio/voice/no-staff", "/twilio/voice/status",
               "/twilio/voice/worker/whisper?h=1&w=1", "/twilio/voice/worker/accept?h=1&w=1",
               "/twilio/voice/worker/status?h=1&w=1"]


@pytest.mark.parametrize("path", VOICE_PATHS)
def test_every_voice_webhook_refuses_a_wrong_signature(app: TestClient, path: str) -> None:
    params = call_params("CA" + "a" * 32, Digits="9")
    assert app.post(path, data=params).status_code == 403  # unsigned
    bad_token = sign(PUBLIC + path, params, token="another-token")
    assert app.post(path, data=params, headers={"X-Twilio-Signature": bad_token}).status_code == 403
    # signed for the internal URL instead of the public one the proxy exposes
    internal = sign("http://testserver" + path, params)
    assert app.post(path, data=params, headers={"X-Twilio-Signature": internal}).status_code == 403
    # a parameter changed after signing
    good = sign(PUBLIC + path, params)
    assert app.post(path, data={**params, "Digits": "0"}, headers={"X-Twilio-Signature": good}).status_code == 403
    with session_scope() as s:
        assert s.scalars(select(Conversation)).all() == []


def test_a_signed_call_is_answered_and_only_a_hash_of_the_number_is_kept(app: TestClient, hotline_env) -> None:  # type: ignore[no-untyped-def]
    sid = "CA" + "1" * 32
    root = twiml(signed_post(app, "/twilio/voice", call_params(sid)))
    with session_scope() as s:
        conv = s.get(Conversation, conversation_id_for(sid))
        assert conv is not None and conv.channel == "voice"
        assert conv.id == hash_identifier(sid, kind="call")[:32] and sid not in conv.id
        assert conv.sender_hash == hash_identifier(CALLER) and conv.contact_enc is None
        assert conv.country_code == "380"
    raw = b"".join(p.read_bytes() for p in hotline_env.rglob("*.db*"))
    assert CALLER.encode() not in raw and CALLER[1:].encode() not in raw
    # a retry of the same webhook does not create a second conversation
    twiml(signed_post(app, "/twilio/voice", call_params(sid)))
    with session_scope() as s:
        assert len(s.scalars(select(Conversation)).all()) == 1
    assert root.find("Gather") is not None


# ------------------------------------------------------------------ the greeting and the menu
def test_greeting_puts_the_emergency_option_first_and_listens_for_keys_and_words(app: TestClient) -> None:
    root = twiml(signed_post(app, "/twilio/voice", call_params("CA" + "2" * 32)))
    children = list(root)
    assert [c.tag for c in children] == ["Gather"]
    listen = children[0]
    assert listen.get("input") == "dtmf speech"
    assert listen.get("numDigits") == "2" and listen.get("finishOnKey") == "#"
    assert listen.get("actionOnEmptyResult") == "true"
    assert listen.get("action") == "/twilio/voice/menu?step=first"
    assert listen.get("language") == i18n.voice_settings("uk")["gather_language"]  # +380: Ukrainian is likeliest
    spoken = says(listen)
    assert (spoken[0].get("voice"), spoken[0].get("language")) == voice_of("en")
    assert spoken[0].text == i18n.render("voice.greeting", "en", channel="voice")
    emergency_uk, emergency_en = spoken[1], spoken[2]
    assert (emergency_uk.get("voice"), emergency_uk.get("language")) == voice_of("uk")
    assert (emergency_en.get("voice"), emergency_en.get("language")) == voice_of("en")
    for element in (emergency_uk, emergency_en):
        assert "1 1 2" in element.text and " 9" in element.text  # number spoken digit by digit; the person key
    assert "{digit}" not in emergency_en.text and " 0 " not in emergency_en.text


def test_menu_speaks_each_language_in_its_own_voice(app: TestClient) -> None:
    sid = "CA" + "3" * 32
    signed_post(app, "/twilio/voice", call_params(sid))
    root = twiml(signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, Digits="", SpeechResult="")))
    listen = root.find("Gather")
    assert listen is not None and listen.get("numDigits") == "2" and listen.get("timeout") == "4"
    spoken = says(listen)
    keys = {code: key for key, code in keypad().items()}
    assert len(spoken) == len(i18n.supported_languages()) == len(keys)
    by_text = {s.text: s for s in spoken}
    for code in i18n.supported_languages():
        prompt = i18n.render("voice.language_prompt", code, channel="voice", digit=keys[code])
        assert prompt in by_text, code
        assert (by_text[prompt].get("voice"), by_text[prompt].get("language")) == voice_of(code)
        assert keys[code] in prompt
    assert spoken[0].text.startswith(i18n.render("voice.language_prompt", "uk", channel="voice", digit="3"))
    assert keys["it"] == "10" and keys["ar"] == "12" and keys["uk"] == "3"


@pytest.mark.parametrize(("digits", "step", "expected"), [
    ("3", "menu", "uk"), ("10", "menu", "it"), ("11", "first", "pl"), ("12", "menu", "ar"), ("9", "menu", "de"),
    ("2#", "menu", "ro")])
def test_keypad_choice_with_one_or_two_digits(app: TestClient, digits: str, step: str, expected: str) -> None:
    sid = "CA" + digits.strip("#").rjust(2, "0") * 16
    signed_post(app, "/twilio/voice", call_params(sid))
    root = twiml(signed_post(app, f"/twilio/voice/menu?step={step}&n=0", call_params(sid, Digits=digits.strip("#"))))
    listen = root.find("Gather")
    assert listen is not None and listen.get("action") == "/twilio/voice/turn?t=1"
    assert listen.get("language") == i18n.voice_settings(expected)["gather_language"]
    assert listen.get("input") == "speech dtmf"
    spoken = says(listen)
    assert spoken and all((s.get("voice"), s.get("language")) == voice_of(expected) for s in spoken)
    assert spoken[0].text == i18n.render("greet", expected, channel="voice")
    with session_scope() as s:
        conv = s.get(Conversation, conversation_id_for(sid))
        assert conv.language == expected and conv.language_source == "chosen"


def test_nine_in_the_first_window_is_a_person_not_german(app: TestClient) -> None:
    add_worker("Ana", "+40700000001")
    sid = "CA" + "9" * 32
    signed_post(app, "/twilio/voice", call_params(sid))
    root = twiml(signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, Digits="9")))
    assert root.find("Dial/Conference") is not None


def test_unanswered_menu_is_repeated_gently_then_the_call_goes_on(app: TestClient) -> None:
    sid = "CA" + "4" * 32
    signed_post(app, "/twilio/voice", call_params(sid, caller=ROMANIAN_CALLER))
    first = twiml(signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, caller=ROMANIAN_CALLER)))
    action = gather_action(first)
    assert "step=menu" in action and "n=0" in action
    again = twiml(signed_post(app, action, call_params(sid, caller=ROMANIAN_CALLER)))
    assert says(again)[0].text == i18n.render("voice.no_input", "en", channel="voice")
    wrong = twiml(signed_post(app, gather_action(again), call_params(sid, caller=ROMANIAN_CALLER, Digits="77")))
    listen = wrong.find("Gather")
    assert listen is not None and listen.get("action") == "/twilio/voice/turn?t=1"
    assert listen.get("language") == i18n.voice_settings("ro")["gather_language"]  # +40: Romanian
    with session_scope() as s:
        conv = s.get(Conversation, conversation_id_for(sid))
        assert conv.language == "ro" and conv.language_source == "default"  # not chosen: detection may switch


# ------------------------------------------------------------------ whole calls
def test_whole_call_ukrainian_by_keypad_rights_by_speech_nine_whisper_accept(app: TestClient, fake: FakeTwilio) -> None:
    ana = add_worker("Ana", "+40700000001", language="ro")
    sid = "CA" + "5" * 32
    conv_id = conversation_id_for(sid)
    twiml(signed_post(app, "/twilio/voice", call_params(sid)))
    menu = twiml(signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, Digits="")))
    greeted = twiml(signed_post(app, gather_action(menu), call_params(sid, Digits="3")))
    assert gather_action(greeted) == "/twilio/voice/turn?t=1"

    # a question about rights, by speech (Rasa is down: the safe reply offers a person)
    answer = twiml(signed_post(app, "/twilio/voice/turn?t=1",
                               call_params(sid, SpeechResult="Які в мене права?", Confidence="0.91")))
    listen = answer.find("Gather")
    assert listen is not None and listen.get("action") == "/twilio/voice/turn?t=2"
    assert says(listen)[0].text == i18n.render("handover.offer", "uk", channel="voice")
    with session_scope() as s:
        inbound = s.scalars(select(Message).where(Message.conversation_id == conv_id, Message.direction == "in")).all()
        assert [m.body for m in inbound] == ["Які в мене права?"] and inbound[0].lang == "uk"
        assert inbound[0].external_id == f"{sid}:1"

    # press 9: the caller waits in a conference that starts only when the worker enters
    queued = twiml(signed_post(app, "/twilio/voice/turn?t=2", call_params(sid, Digits="9")))
    retried = twiml(signed_post(app, "/twilio/voice/turn?t=2", call_params(sid, Digits="9")))  # Twilio's retry
    assert retried.find("Dial/Conference").text == queued.find("Dial/Conference").text
    assert [c.tag for c in queued] == ["Say", "Dial"]
    assert queued[0].text == i18n.render("handover.accepted", "uk", channel="voice", wait_minutes=3)
    dial = queued.find("Dial")
    conference = dial.find("Conference")
    assert dial.get("action") == "/twilio/voice/after"
    assert conference.get("startConferenceOnEnter") == "false" and conference.get("endConferenceOnExit") == "true"
    assert conference.get("waitUrl") == "/twilio/voice/hold?lang=uk&aud=adult"
    room = conference.text
    with session_scope() as s:
        handover = s.scalars(select(Handover).where(Handover.conversation_id == conv_id)).one()
        assert (handover.channel, handover.status, handover.call_sid, handover.conference_name) == (
            "voice", "queued", sid, room)
        handover_id = handover.id

    # the hold music is a calm message in the caller's language, looping
    hold = twiml(signed_post(app, conference.get("waitUrl"), call_params(sid)))
    assert [c.tag for c in hold] == ["Say", "Pause", "Redirect"]
    assert hold[0].text == i18n.render("voice.hold", "uk", channel="voice")
    assert hold[0].get("voice") == voice_of("uk")[0]

    # the worker's phone is rung through twilio's REST client
    [ring] = fake.calls()
    assert ring.account == ACCOUNT and ring.get("To") == "+40700000001" and ring.get("From") == FROM_NUMBER
    assert ring.get("MachineDetection") == "Enable" and ring.get("Timeout") == "20"
    assert ring.get("Record") in (None, "false")
    whisper_url, status_url = ring.get("Url"), ring.get("StatusCallback")
    assert query_of(whisper_url) == {"h": str(handover_id), "w": str(ana), "tried": str(ana)}

    worker_sid = ring.sid
    whisper = twiml(signed_post(app, path_of(whisper_url), {"CallSid": worker_sid, "AccountSid": ACCOUNT,
                                                            "AnsweredBy": "human", "CallStatus": "in-progress"}))
    listen = whisper.find("Gather")
    assert listen.get("input") == "dtmf" and listen.get("numDigits") == "1" and listen.get("timeout") == "10"
    summary = says(listen)[0]
    assert (summary.get("voice"), summary.get("language")) == voice_of("ro")  # the worker's language
    assert summary.text.startswith("Apel P") and "Ukrainian" in summary.text and "Які" not in summary.text
    assert whisper[-1].tag == "Hangup"

    joined = twiml(signed_post(app, path_of(app_url(listen.get("action"))),
                               {"CallSid": worker_sid, "AccountSid": ACCOUNT, "Digits": "1"}))
    worker_conference = joined.find("Dial/Conference")
    assert worker_conference.text == room and worker_conference.get("startConferenceOnEnter") == "true"
    with session_scope() as s:
        handover = s.get(Handover, handover_id)
        assert handover.status == "active" and handover.worker_id == ana
        conv = s.get(Conversation, conv_id)
        assert conv.state == "with_worker"
        note = s.scalars(select(Message).where(Message.conversation_id == conv_id,
                                               Message.key == "handover.worker_joined")).one()
        assert "Ana" in note.body
    # the worker leg's end is not a reason to ring anyone else
    assert signed_post(app, path_of(status_url), {"CallSid": worker_sid, "CallStatus": "completed"}).status_code == 204
    assert len(fake.calls()) == 1
    after = twiml(signed_post(app, "/twilio/voice/after", call_params(sid)))
    assert [c.tag for c in after] == ["Say", "Hangup"]


def app_url(action: str) -> str:
    return PUBLIC + action


def test_second_call_by_speech_nobody_answers_then_callback(app: TestClient, fake: FakeTwilio) -> None:
    first = add_worker("Ion", "+40700000002", language="ro")
    second = add_worker("Eve", "+44700000003", language="en")
    add_worker("Noph", None)  # on duty without a phone: never rung
    sid = "CA" + "6" * 32
    conv_id = conversation_id_for(sid)
    twiml(signed_post(app, "/twilio/voice", call_params(sid, caller=ROMANIAN_CALLER)))
    menu = twiml(signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, caller=ROMANIAN_CALLER)))
    spoken = twiml(signed_post(app, gather_action(menu), call_params(sid, caller=ROMANIAN_CALLER,
                                                                        SpeechResult="Română.")))
    assert spoken.find("Gather").get("language") == "ro-RO"
    offer = twiml(signed_post(app, "/twilio/voice/turn?t=1", call_params(sid, caller=ROMANIAN_CALLER,
                                                                          SpeechResult="persoană")))
    assert says(offer)[0].text == i18n.render("handover.offer", "ro", channel="voice")
    queued = twiml(signed_post(app, "/twilio/voice/turn?t=2", call_params(sid, caller=ROMANIAN_CALLER,
                                                                           SpeechResult="da")))
    assert queued.find("Dial/Conference") is not None

    # the Romanian-speaking worker is rung first; no answer -> the next one
    ring1 = fake.calls()[0]
    assert ring1.get("To") == "+40700000002"
    leg1 = ring1.sid
    assert signed_post(app, path_of(ring1.get("StatusCallback")),
                       {"CallSid": leg1, "CallStatus": "no-answer"}).status_code == 204
    # Twilio retrying the same callback rings nobody else
    signed_post(app, path_of(ring1.get("StatusCallback")), {"CallSid": leg1, "CallStatus": "no-answer"})
    assert [c.get("To") for c in fake.calls()] == ["+40700000002", "+44700000003"]
    ring2 = fake.calls()[1]
    assert query_of(ring2.get("Url"))["tried"] == f"{first},{second}"

    # the second answers but presses nothing: hang up, then no one is left -> the caller is redirected
    leg2 = ring2.sid
    whisper = twiml(signed_post(app, path_of(ring2.get("Url")), {"CallSid": leg2, "AnsweredBy": "human"}))
    summary = says(whisper)[0]
    assert (summary.get("voice"), summary.get("language")) == voice_of("en")
    assert "Romanian" in summary.text and summary.text.endswith("Press 1 to accept.")
    nothing = twiml(signed_post(app, whisper.find("Gather").get("action"), {"CallSid": leg2, "Digits": ""}))
    assert [c.tag for c in nothing] == ["Hangup"]
    signed_post(app, path_of(ring2.get("StatusCallback")), {"CallSid": leg2, "CallStatus": "completed"})
    assert len(fake.calls()) == 2
    [redirect] = fake.call_updates()
    assert redirect.path.endswith(f"/Calls/{sid}.json")
    assert redirect.get("Url") == PUBLIC + "/twilio/voice/no-staff" and redirect.get("Method") == "POST"

    # the no-staff path: numbers, then a safe callback
    no_staff = twiml(signed_post(app, path_of(redirect.get("Url")), call_params(sid, caller=ROMANIAN_CALLER)))
    listen = no_staff.find("Gather")
    numbers = says(listen)[0].text
    assert numbers == i18n.render("handover.no_staff", "ro", channel="voice")
    assert "1 1 2" in numbers and "1 1 6 0 0 6" in numbers and "1 1 6 1 1 1" in numbers
    with session_scope() as s:
        assert s.scalars(select(Handover).where(Handover.conversation_id == conv_id)).one().status == "cancelled"
    ask = twiml(signed_post(app, listen.get("action"), call_params(sid, caller=ROMANIAN_CALLER, SpeechResult="Da.")))
    assert says(ask)[0].text == i18n.render("handover.contact_ask", "ro", channel="voice")
    saved = twiml(signed_post(app, gather_action(ask), call_params(sid, caller=ROMANIAN_CALLER,
                                                                     SpeechResult="mâine după ora șase seara")))
    assert says(saved)[0].text == i18n.render("handover.contact_saved", "ro", channel="voice")
    with session_scope() as s:
        [request] = s.scalars(select(ContactRequest).where(ContactRequest.conversation_id == conv_id)).all()
        assert request.details == "mâine după ora șase seara"
        assert s.get(Conversation, conv_id).contact_enc == ROMANIAN_CALLER  # kept only now, for the callback
        raw = s.execute(text("SELECT contact_enc FROM conversations WHERE id = :i"), {"i": conv_id}).scalar_one()
        assert ROMANIAN_CALLER not in raw and "721000111" not in raw  # encrypted at rest


def test_no_worker_on_duty_gives_the_no_staff_path_at_once(app: TestClient, fake: FakeTwilio) -> None:
    add_worker("Off", "+40700000009", on_duty=False)
    sid = "CA" + "7" * 32
    signed_post(app, "/twilio/voice", call_params(sid))
    root = twiml(signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, Digits="9")))
    assert root.find(".//Dial") is None
    listen = root.find("Gather")
    assert listen.get("action") == "/twilio/voice/callback"
    assert "1 1 2" in says(listen)[0].text
    assert fake.calls() == []
    # silence: the plain question once, then goodbye
    offer = twiml(signed_post(app, "/twilio/voice/callback", call_params(sid)))
    assert says(offer)[0].text == i18n.render("voice.callback_offer", "en", channel="voice")
    bye = twiml(signed_post(app, gather_action(offer), call_params(sid)))
    assert [c.tag for c in bye] == ["Say", "Hangup"]


def test_silence_is_met_gently_with_a_way_out_then_goodbye(app: TestClient) -> None:
    sid = "CA" + "8" * 32
    signed_post(app, "/twilio/voice", call_params(sid))
    signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, Digits="1"))
    one = twiml(signed_post(app, "/twilio/voice/turn?t=1", call_params(sid)))
    assert [s.text for s in says(one)] == [i18n.render("voice.no_input", "en", channel="voice"),
                                           i18n.render("voice.ask_question", "en", channel="voice")]
    two = twiml(signed_post(app, gather_action(one), call_params(sid)))
    assert says(two)[1].text == i18n.render("voice.emergency_option", "en", channel="voice", digit="9")
    keys = twiml(signed_post(app, gather_action(two), call_params(sid, Digits="5")))
    assert says(keys)[0].text == i18n.render("voice.not_understood", "en", channel="voice")
    three = twiml(signed_post(app, gather_action(keys), call_params(sid)))
    assert [c.tag for c in three] == ["Say", "Hangup"]
    assert three[0].text == i18n.render("voice.goodbye", "en", channel="voice")


def test_danger_by_speech_leads_with_the_number_and_silence_then_connects(app: TestClient, fake: FakeTwilio) -> None:
    add_worker("Ana", "+40700000001")
    sid = "CA" + "e" * 32
    signed_post(app, "/twilio/voice", call_params(sid, caller="+447700900123"))
    signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, caller="+447700900123", Digits="1"))
    danger = twiml(signed_post(app, "/twilio/voice/turn?t=1", call_params(
        sid, caller="+447700900123", SpeechResult="he is beating me right now and locked the door")))
    assert says(danger)[0].text == i18n.render("emergency.lead", "en", channel="voice")
    connected = twiml(signed_post(app, gather_action(danger), call_params(sid, caller="+447700900123")))
    assert connected.find("Dial/Conference") is not None
    assert len(fake.calls()) == 1
    whisper = twiml(signed_post(app, path_of(fake.calls()[0].get("Url")), {"CallSid": "CA" + "f" * 32}))
    assert says(whisper)[0].text.startswith("P0 call, English")


def test_caller_hanging_up_while_waiting_cancels_and_stops_the_ringing(app: TestClient, fake: FakeTwilio) -> None:
    add_worker("Ana", "+40700000001")
    sid = "CA" + "ab" * 16
    conv_id = conversation_id_for(sid)
    signed_post(app, "/twilio/voice", call_params(sid))
    twiml(signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, Digits="9")))
    handover_id = int(query_of(fake.calls()[0].get("Url"))["h"])
    leg = voice_transfer.ringing_leg(handover_id)
    assert leg == fake.calls()[0].sid
    assert signed_post(app, "/twilio/voice/status", call_params(sid, CallStatus="completed")).status_code == 204
    with session_scope() as s:
        handover = s.get(Handover, handover_id)
        assert handover.status == "cancelled" and handover.person_left_at is not None
        assert s.get(Conversation, conv_id).state == "ended"
        assert s.scalars(select(Message).where(Message.key == "person_left")).first() is not None
    [stop] = fake.call_updates()
    assert stop.path.endswith(f"/Calls/{leg}.json") and stop.get("Status") == "canceled"
    # the worker who picks up late hears nothing and cannot join an empty conference
    whisper = twiml(signed_post(app, path_of(fake.calls()[0].get("Url")), {"CallSid": leg}))
    assert [c.tag for c in whisper] == ["Hangup"]


def test_voicemail_never_hears_the_summary(app: TestClient, fake: FakeTwilio) -> None:
    add_worker("Ana", "+40700000001")
    sid = "CA" + "cd" * 16
    signed_post(app, "/twilio/voice", call_params(sid))
    signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, Digits="9"))
    root = twiml(signed_post(app, path_of(fake.calls()[0].get("Url")), {"CallSid": "CA1", "AnsweredBy": "machine_start"}))
    assert [c.tag for c in root] == ["Hangup"]


def test_console_and_phone_accept_race_has_one_winner(app: TestClient, fake: FakeTwilio) -> None:
    ana = add_worker("Ana", "+40700000001")
    bob = add_worker("Bob", None)
    sid = "CA" + "ef" * 16
    signed_post(app, "/twilio/voice", call_params(sid))
    signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, Digits="9"))
    url = fake.calls()[0].get("Url")
    handover_id = int(query_of(url)["h"])
    from hotline.handover.queue import accept

    with session_scope() as s:  # Bob takes it from the console first
        assert accept(s, handover_id, s.get(StaffUser, bob))
    accept_path = path_of(url).replace("/whisper", "/accept")
    lost = twiml(signed_post(app, accept_path, {"CallSid": "CA2", "Digits": "1"}))
    assert [c.tag for c in lost] == ["Hangup"]
    with session_scope() as s:
        assert s.get(Handover, handover_id).worker_id == bob != ana
    assert voice_transfer.connect_console_worker(handover_id) is None  # Bob has no phone: nothing to ring


def test_worker_accepting_in_the_console_is_rung_into_the_conference(app: TestClient, fake: FakeTwilio) -> None:
    ana = add_worker("Ana", "+40700000001")
    sid = "CA" + "12" * 16
    signed_post(app, "/twilio/voice", call_params(sid))
    queued = twiml(signed_post(app, "/twilio/voice/menu?step=first", call_params(sid, Digits="9")))
    room = queued.find("Dial/Conference").text
    [ring] = fake.calls()
    handover_id = int(query_of(ring.get("Url"))["h"])
    from hotline.handover.queue import accept

    with session_scope() as s:
        assert accept(s, handover_id, s.get(StaffUser, ana))
    leg = voice_transfer.connect_console_worker(handover_id)
    assert leg is not None and len(fake.calls()) == 2
    assert fake.call_updates()[0].path.endswith(f"/Calls/{ring.sid}.json")  # the whisper leg is stopped
    join = fake.calls()[1]
    assert join.get("To") == "+40700000001" and path_of(join.get("Url")).startswith("/twilio/voice/worker/join?")
    root = twiml(signed_post(app, path_of(join.get("Url")), {"CallSid": leg}))
    assert root.find("Dial/Conference").text == room
    other = twiml(signed_post(app, path_of(join.get("Url")).replace(f"w={ana}", "w=999"), {"CallSid": leg}))
    assert [c.tag for c in other] == ["Hangup"]


def test_unknown_voice_routes_are_not_open(app: TestClient) -> None:
    assert app.get("/twilio/voice").status_code == 405


def test_whisper_summary_names_tier_language_child_and_reasons_in_the_workers_language() -> None:
    handover = Handover(tier="P1", child=True, language="uk", indicators=["document_control", "debt_bondage"],
                        topics=["police"])
    english = voice_transfer.whisper_text(handover, StaffUser(language="en", first_name="Eve"))
    assert english == "P1 call, Ukrainian, child, document control, debt bondage. Press 1 to accept."
    ukrainian = voice_transfer.whisper_text(handover, StaffUser(language="uk", first_name="Olena"))
    assert ukrainian.startswith("Дзвінок P1, Українська,") and "document control" in ukrainian
    adult = Handover(tier="P3", child=False, language="ro", indicators=[], topics=["police", "health"])
    assert voice_transfer.whisper_text(adult, StaffUser(language="en", first_name="Eve")) == (
        "P3 call, Romanian, police, health. Press 1 to accept.")
    bare = Handover(tier="P2", child=False, language="en", indicators=[], topics=[])
    assert voice_transfer.whisper_text(bare, StaffUser(language="en", first_name="Eve")) == (
        "P2 call, English. Press 1 to accept.")
