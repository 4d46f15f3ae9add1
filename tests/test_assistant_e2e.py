"""The assistant's features end to end, in English, Romanian and Russian.

Same set-up as tests/test_languages_e2e.py: the real application through its HTTP endpoints, the
real trained Rasa model and action server, a fresh database per test. Checked here, per language:

* every rights topic is answered with its own key, and "tell me more" gives ``<key>.more``
  (small chunks, more on request: seed-001 notes R-3.5);
* the report form with a skipped question ends with ``report.done`` and a queued handover that
  carries the report (the public reporter's path, bot/README.md);
* two misunderstood messages in a row offer a person (POLICY.md section 9);
* "I'm 14" switches every later reply to the child variants;
* answering "no" to the safety check takes the discreet path;
* the language menu answered with a number switches the conversation for good.

Messages are typed the way people type them (no diacritics, informal). When the model misreads
one of them, the fix belongs in data/nlu/<lang>.yml, not in this file.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline import i18n
from hotline.language.choice import menu_order
from hotline.storage.db import session_scope
from hotline.storage.models import Conversation, Handover
from rasa_servers import rasa_action_server, rasa_servers  # noqa: F401  (session fixtures)
from test_languages_e2e import WebChat, expect_web, hotline_app, warm_models  # noqa: F401  (fixtures)

pytestmark = pytest.mark.rasa

TOPICS = ["trafficking", "police", "reflection", "non_punishment", "legal_advice", "interpreter", "health",
          "accommodation", "compensation", "residence", "confidentiality", "return", "child_age",
          "child_guardian", "child_heard", "child_after_18"]


@dataclass(frozen=True)
class Phrasebook:
    """What a person writes in one language for the features above."""

    lang: str
    topics: dict[str, str]           # rights topic -> a question about it
    more: tuple[str, ...]            # ways of asking for more, used in turn
    report: str                      # "I want to report something"
    report_answers: tuple[str, str, str]  # what, where, when (where is skipped in the test)
    skip: str
    anything_else: str               # answer to "anything else?"
    gibberish: tuple[str, str]       # keyboard mashes nobody could understand
    rights_question: str             # what are my rights
    age: str                         # "I'm 14"
    child_question: tuple[str, str]  # a question after it, and its rights key
    no: str                          # "no" to the safety check
    other_language: str              # asks for another language


BOOKS = [
    Phrasebook(
        "en",
        {
            "trafficking": "is it trafficking if i said yes to the job at first",
            "police": "can i get help without going to the police",
            "reflection": "do i get time to think before i decide anything",
            "non_punishment": "will i get in trouble for the fake passport they made me use",
            "legal_advice": "can i talk to a lawyer for free",
            "interpreter": "can i have someone who speaks my language",
            "health": "i need to see a doctor, im not well",
            "accommodation": "i have nowhere to sleep tonight",
            "compensation": "they never paid me, can i get my money back",
            "residence": "my visa ran out, can i stay here",
            "confidentiality": "will anyone find out i talked to you",
            "return": "i just want to go back home to my country",
            "child_age": "they dont believe im 16",
            "child_guardian": "who is going to look after me",
            "child_heard": "will anyone listen to what i want",
            "child_after_18": "what happens to me when im 18",
        },
        ("tell me more", "more please", "can you explain more"),
        "i want to report something i saw",
        ("a man takes three women to the car wash every morning and they never speak",
         "the car wash near the station", "every day around 6am"),
        "skip", "the women look scared and very tired",
        ("sdfghj kkkll", "jjjj kkk"), "what are my rights",
        "im 14", ("can i have someone to look after me", "rights.child_guardian"),
        "no", "can we talk in another language",
    ),
    Phrasebook(
        "ro",
        {
            "trafficking": "e trafic de persoane daca am acceptat eu jobul la inceput?",
            "police": "pot primi ajutor fara sa merg la politie?",
            "reflection": "am timp sa ma gandesc inainte sa hotarasc ceva?",
            "non_punishment": "o sa am probleme pentru buletinul fals pe care m-au pus sa il folosesc?",
            "legal_advice": "pot vorbi cu un avocat gratis?",
            "interpreter": "pot avea pe cineva care vorbeste romaneste?",
            "health": "am nevoie de un doctor, nu ma simt bine",
            "accommodation": "nu am unde sa dorm la noapte",
            "compensation": "nu m-au platit deloc, pot sa iau banii inapoi?",
            "residence": "mi-a expirat viza, pot sa raman aici?",
            "confidentiality": "o sa afle cineva ca am vorbit cu voi?",
            "return": "vreau doar sa ma intorc acasa in romania",
            "child_age": "nu ma cred ca am 16 ani",
            "child_guardian": "cine o sa aiba grija de mine?",
            "child_heard": "o sa ma asculte cineva ce vreau eu?",
            "child_after_18": "ce se intampla cu mine cand fac 18 ani?",
        },
        ("spune-mi mai multe", "mai mult te rog", "poti sa explici mai mult?"),
        "vreau sa raportez ceva ce am vazut",
        ("un barbat duce trei femei la spalatoria auto in fiecare dimineata si ele nu vorbesc cu nimeni",
         "spalatoria de langa gara", "in fiecare zi pe la 6 dimineata"),
        "sari peste", "femeile par speriate si foarte obosite",
        ("sdfghj kkkll", "jjjj kkk"), "ce drepturi am?",
        "am 14 ani", ("cine are grija de mine acum?", "rights.child_guardian"),
        "nu", "putem vorbi in alta limba?",
    ),
    Phrasebook(
        "ru",
        {
            "trafficking": "это торговля людьми если я сама сначала согласилась на работу?",
            "police": "можно получить помощь без полиции?",
            "reflection": "у меня будет время подумать прежде чем что то решать?",
            "non_punishment": "меня накажут за поддельный паспорт который меня заставили использовать?",
            "legal_advice": "можно бесплатно поговорить с адвокатом?",
            "interpreter": "мне нужен кто то кто говорит по русски",
            "health": "мне нужен врач, мне плохо",
            "accommodation": "мне негде ночевать сегодня",
            "compensation": "мне так и не заплатили, можно вернуть мои деньги?",
            "residence": "у меня закончилась виза, могу я тут остаться?",
            "confidentiality": "кто нибудь узнает что я вам писала?",
            "return": "я просто хочу вернуться домой",
            "child_age": "мне не верят что мне 16",
            "child_guardian": "кто будет обо мне заботиться?",
            "child_heard": "меня кто нибудь выслушает?",
            "child_after_18": "что со мной будет когда мне исполнится 18?",
        },
        ("расскажи подробнее", "а можно подробнее", "объясни больше"),
        "хочу сообщить о том что я видела",
        ("мужчина каждое утро привозит трех женщин на автомойку и они ни с кем не разговаривают",
         "автомойка возле вокзала", "каждый день около 6 утра"),
        "пропустить", "женщины выглядят испуганными и очень уставшими",
        ("sdfghj kkkll", "jjjj kkk"), "какие у меня права?",
        "мне 14", ("кто теперь будет обо мне заботиться?", "rights.child_guardian"),
        "нет", "можно на другом языке?",
    ),
]
BOOK = {b.lang: b for b in BOOKS}
LANGS = [b.lang for b in BOOKS]


def new_chat(client: TestClient, lang: str) -> WebChat:
    chat = WebChat(client, page_language=lang)
    assert chat.language == lang
    return chat


def conversation(conv_id: str) -> Conversation:
    with session_scope() as s:
        conv = s.get(Conversation, conv_id)
        assert conv is not None
        s.expunge(conv)
        return conv


def test_every_topic_has_a_question_in_every_language() -> None:
    domain_topics = {k.split(".")[1] for k in i18n.get_locale("en").messages
                     if k.startswith("rights.") and k.count(".") == 1 and k != "rights.overview"}
    assert set(TOPICS) == domain_topics
    for book in BOOKS:
        assert set(book.topics) == set(TOPICS), book.lang


@pytest.mark.parametrize("lang", LANGS)
def test_every_rights_topic_and_tell_me_more(hotline_app: TestClient, lang: str) -> None:
    """One conversation asks every topic in turn, each followed by a request for more. All
    mismatches are collected, so one run shows every topic the model gets wrong."""
    book = BOOK[lang]
    chat = new_chat(hotline_app, lang)
    wrong: list[str] = []
    for i, topic in enumerate(TOPICS):
        key = f"rights.{topic}"
        for text, expected in ((book.topics[topic], key), (book.more[i % len(book.more)], f"{key}.more")):
            try:
                expect_web(chat, text, [expected], lang)
            except AssertionError as failure:
                wrong.append(str(failure).splitlines()[0])
    assert not wrong, f"[{lang}] " + "\n".join(wrong)


@pytest.mark.parametrize("lang", LANGS)
def test_report_with_a_skipped_question_queues_a_handover_with_the_report(hotline_app: TestClient,
                                                                          lang: str) -> None:
    book = BOOK[lang]
    chat = new_chat(hotline_app, lang)
    what, where, when = book.report_answers
    expect_web(chat, book.report, ["report.intro", "report.ask_what"], lang)
    expect_web(chat, what, ["report.ask_where"], lang)
    expect_web(chat, book.skip, ["report.ask_when"], lang)
    expect_web(chat, when, ["report.ask_else"], lang)
    expect_web(chat, book.anything_else, ["report.done"], lang)

    with session_scope() as s:
        handover = s.scalars(select(Handover).where(Handover.conversation_id == chat.id)).one()
        assert handover.status == "queued"
        assert handover.shared["report"] == {"what": what, "where": "skipped", "when": when,
                                           "else": book.anything_else}
        assert handover.language == lang
        assert "report" in handover.topics
    assert conversation(chat.id).tier in ("P0", "P1", "P2")


@pytest.mark.parametrize("lang", LANGS)
def test_two_misunderstood_messages_in_a_row_offer_a_person(hotline_app: TestClient, rasa_servers,  # noqa: F811
                                                            lang: str) -> None:
    """The core's rule (POLICY.md section 9): the second message in a row that the assistant does
    not understand brings one offer of a person, in the conversation's language."""
    chat = new_chat(hotline_app, lang)
    first, second = "xqzv plmo", "mnbvc xzlk"
    for text in (first, second):  # the precondition: the model does not understand them
        assert rasa_servers.parse(text)["intent"]["name"] == "nlu_fallback"
    expect_web(chat, BOOK[lang].rights_question, ["rights.overview"], lang)
    expect_web(chat, first, ["fallback"], lang)
    got, shown = chat.say(second)
    offers = [k for k in got if k in ("handover.offer", "fallback.offer_person")]
    assert len(offers) == 1, f"one offer of a person expected, got {got}"
    assert chat.language == lang
    assert all(m["text"] == i18n.render(m["key"], lang, channel="web") for m in shown)
    assert conversation(chat.id).state == "awaiting_consent"


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("lang", LANGS)
def test_a_keyboard_mash_is_not_taken_for_an_answer(hotline_app: TestClient, lang: str, which: int) -> None:
    """Text typed by accident (a pocket, a child at the keyboard) right after the safety question
    must not count as "yes, it is safe to talk", nor change the conversation's language."""
    chat = new_chat(hotline_app, lang)
    expect_web(chat, BOOK[lang].gibberish[which], ["fallback"], lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_child_gets_the_child_variants_from_then_on(hotline_app: TestClient, lang: str) -> None:
    book = BOOK[lang]
    chat = new_chat(hotline_app, lang)
    got, shown = chat.say(book.age)
    assert got[0] == "child.ack", got
    assert chat.language == lang
    assert shown[0]["text"] == i18n.render("child.ack", lang, audience="child", channel="web")
    conv = conversation(chat.id)
    assert (conv.audience, conv.child) == ("child", True)
    question, key = book.child_question
    expect_web(chat, question, [key], lang, audience="child")
    child_text = i18n.render(key, lang, audience="child", channel="web")
    assert child_text != i18n.render(key, lang, audience="adult", channel="web")  # the test can tell


@pytest.mark.parametrize("lang", LANGS)
def test_no_to_the_safety_check_takes_the_discreet_path(hotline_app: TestClient, lang: str) -> None:
    chat = new_chat(hotline_app, lang)
    assert [m["key"] for m in chat.opening] == ["greet", "safety_check"]
    expect_web(chat, BOOK[lang].no, ["safety_unsafe"], lang)
    assert conversation(chat.id).state == "bot"  # nothing is queued or offered behind their back


@pytest.mark.parametrize("lang", LANGS)
def test_language_menu_answered_by_number(hotline_app: TestClient, lang: str) -> None:
    book = BOOK[lang]
    chat = new_chat(hotline_app, lang)
    got, shown = chat.say(book.other_language)
    assert got == ["language.menu"], got
    assert chat.language == lang
    menu_text = shown[0]["text"]
    order = menu_order()
    target = next(code for code in ("pl", "it", "de") if code != lang)
    number = order.index(target) + 1
    assert f"{number}. {i18n.language_meta(target)['native_name']}" in menu_text
    assert conversation(chat.id).state == "awaiting_language"

    got, shown = chat.say(str(number))
    assert got == ["language.changed"] and chat.language == target
    name = i18n.language_meta(target)["native_name"]
    assert shown[0]["text"] == i18n.render("language.changed", target, channel="web", language_name=name)
    conv = conversation(chat.id)
    assert (conv.language, conv.language_source, conv.state) == (target, "chosen", "bot")
    # The choice is sticky: a question in the old language is still answered in the chosen one.
    expect_web(chat, book.topics["police"], ["rights.police"], target)
