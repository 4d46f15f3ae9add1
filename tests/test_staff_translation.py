"""Translation in the console through real (tiny, test-built) argos models: the summary shows the
person's words as a machine translation that says so, with the original beside it, and the
worker's reply reaches the person machine-translated and marked.

The person's turns run through a real ConversationCore wired to a Translator on the test's model
store (the app's own core has no models in a fresh var dir), on the same database as the app."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from argos_fixture import ArgosPackages, GuardedRunner, argos_packages  # noqa: F401 - fixture
from hotline.assistant.client import AssistantClient
from hotline.conversation.core import ConversationCore
from hotline.conversation.types import InboundTurn
from hotline.staff import views
from hotline.storage.db import session_scope
from hotline.storage.models import Handover, Message
from hotline.translation import Translator
from test_staff_fixtures import login, make_staff, person_messages, staff_id

RO_TEXT = "am nevoie de ajutor unde sunt bani"  # the test models know these words


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, argos_packages: ArgosPackages) -> Path:  # noqa: F811
    root = tmp_path_factory.mktemp("staff-store")
    runner = GuardedRunner(root / "guard")
    for package in (argos_packages.ro_en, argos_packages.en_ro, argos_packages.en_uk):
        result = runner.hotline("models", "--dir", str(root / "argos"), "install", str(package))
        assert result.returncode == 0, result.stderr
    return root / "argos"


def _wait_translated(message_id: int, timeout: float = 60) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope() as s:
            msg = s.get(Message, message_id)
            if msg.translation:
                return msg
        time.sleep(0.1)
    raise AssertionError("the person's message was never translated for staff")


def test_summary_and_chat_mark_machine_translation_both_ways(client: TestClient, store: Path) -> None:
    translator = Translator(argos_dir=str(store))
    core = ConversationCore(AssistantClient(), translate=translator.translate)
    try:
        make_staff("ana", "Ana", on_duty=True)
        conv_id, token, _ = core.start_web("ro", chosen=True)
        core.handle_turn(InboundTurn(channel="web", text=RO_TEXT, conversation_id=conv_id))
        core.handle_turn(InboundTurn(channel="web", text="persoană", conversation_id=conv_id))
        result = core.handle_turn(InboundTurn(channel="web", text="da", conversation_id=conv_id))
        assert result.state == "queued"
        with session_scope() as s:
            handover_id = s.scalars(select(Handover.id).where(Handover.conversation_id == conv_id)).one()
            first_id = s.scalars(select(Message.id).where(Message.conversation_id == conv_id,
                                                           Message.author == "person")).first()
        translated = _wait_translated(first_id)
        assert translated.translation == "am nevoie de help where sunt money"  # exact, from the test model
        assert translated.translation_machine and translated.translation_lang == "en"

        csrf = login(client, "ana")
        page = client.get(f"/staff/handovers/{handover_id}").text
        assert "am nevoie de help where sunt money" in page
        assert "Machine translation" in page and "it may be wrong" in page
        assert RO_TEXT in page  # the original is always there
        assert 'class="original"' in page and 'lang="ro"' in page

        client.post(f"/staff/handovers/{handover_id}/join", data={"csrf_token": csrf})
        # the worker writes in English; the person receives Romanian, marked as machine translation
        message_id = core.worker_message(conv_id, staff_id("ana"), "i need help", "en")
        assert message_id is not None
        person_side = [m for m in person_messages(client, {"id": conv_id, "token": token}) if m["author"] == "worker"]
        assert person_side[-1]["text"] == "i need ajutor" and person_side[-1]["machine_translated"] is True
        assert person_side[-1]["original"] == "i need help"
        chat = client.get(f"/staff/handovers/{handover_id}/chat").text
        assert "Sent as machine translation (Romanian)" in chat and "i need ajutor" in chat
    finally:
        core.assistant.close()
        translator.close()


def test_a_worker_reading_in_another_language_gets_an_on_view_machine_translation(client: TestClient, store: Path) -> None:
    translator = Translator(argos_dir=str(store))
    core = ConversationCore(AssistantClient(), translate=None)  # nothing stored: only on-view translation
    try:
        conv_id, _, _ = core.start_web("ro", chosen=True)
        core.handle_turn(InboundTurn(channel="web", text=RO_TEXT, conversation_id=conv_id))
        with session_scope() as s:
            lines = views.transcript(s, conv_id, "uk", translator.translate)
            untranslated = views.transcript(s, conv_id, "uk", None)
        person = [line for line in lines if line.author == "person"][0]
        assert person.kind == "machine" and person.shown and person.original == RO_TEXT
        assert "via English" in (person.notice or "")  # the pivot is said
        bot = [line for line in lines if line.author == "bot"][0]
        assert bot.kind == "locale" and bot.shown and bot.shown != bot.original  # the hotline's own Ukrainian
        fallback = [line for line in untranslated if line.author == "person"][0]
        assert fallback.kind == "unavailable" and fallback.shown is None and "original only" in fallback.notice
    finally:
        core.assistant.close()
        translator.close()
