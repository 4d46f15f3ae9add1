"""Static consistency of the Rasa assistant: domain, rules, stories, NLU data, actions, contract.

These read the files the model is trained from, so a renamed intent, a response with text instead
of a key, or an intent nobody answers fails here before anyone trains or starts a server.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest
import yaml

pytestmark = pytest.mark.rasa

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ("trafficking police reflection non_punishment legal_advice interpreter health accommodation "
          "compensation residence confidentiality return child_age child_guardian child_heard "
          "child_after_18").split()
# Message keys the bot may send (the task's key list; docs/CONTRACTS.md points to locales/en.yml).
ALLOWED_KEYS = {
    "greet", "safety_check", "safety_ok", "safety_unsafe", "menu", "rights.overview", "more.none",
    "report.intro", "report.ask_what", "report.ask_where", "report.ask_when", "report.ask_else",
    "report.done", "skip.ack", "child.ack", "bot_challenge", "thanks.reply", "goodbye",
    "stop.confirm", "out_of_scope", "fallback", "need_help", "unsafe_now", "handover.offer",
    "language.menu",
} | {f"rights.{t}" for t in TOPICS} | {f"rights.{t}.more" for t in TOPICS}
DIRECTIVES = {"offer_handover", "language_menu", "report_submitted", "end_conversation", "audience_child"}


def load(path: str) -> Dict[str, Any]:
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


def contract_intents() -> List[str]:
    text = (ROOT / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")
    section = text.split("## Intents", 1)[1].split("\n## ", 1)[0]
    names = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and re.fullmatch(r"[a-z_0-9]+", cells[0]) and cells[0] != "intent":
            names.append(cells[0])
    return names


def nlu_examples(path: Path) -> Dict[str, List[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: Dict[str, List[str]] = {}
    for block in data["nlu"]:
        if "intent" in block:
            out.setdefault(block["intent"], []).extend(
                line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- "))
    return out


def dialogue_steps() -> List[Dict[str, Any]]:
    steps = []
    for item in load("data/rules.yml")["rules"] + load("data/stories.yml")["stories"]:
        steps.extend(item["steps"])
        steps.extend(item.get("condition") or [])
    return steps


def test_domain_intents_match_the_contract_exactly() -> None:
    intents = contract_intents()
    assert len(intents) == 33, intents
    assert sorted(load("bot/domain.yml")["intents"]) == sorted(intents)


def test_every_response_is_one_custom_payload_with_a_known_key() -> None:
    responses = load("bot/domain.yml")["responses"]
    for name, variants in responses.items():
        assert len(variants) == 1, f"{name}: one variant only, the hotline picks the wording"
        variant = variants[0]
        assert set(variant) == {"custom"}, f"{name} must be a custom payload, not text: {variant}"
        custom = variant["custom"]
        assert custom["key"] in ALLOWED_KEYS, f"{name}: unknown key {custom['key']}"
        assert set(custom) <= {"key", "directive", "params"}, name
        if "directive" in custom:
            assert custom["directive"] in DIRECTIVES, name


def test_directives_named_by_the_task_are_attached() -> None:
    responses = load("bot/domain.yml")["responses"]
    by_key = {v[0]["custom"]["key"]: v[0]["custom"].get("directive") for v in responses.values()}
    assert by_key["handover.offer"] == "offer_handover"
    assert by_key["language.menu"] == "language_menu"
    assert by_key["stop.confirm"] == "end_conversation"
    assert by_key["child.ack"] == "audience_child"


def test_every_rights_topic_has_its_response() -> None:
    responses = load("bot/domain.yml")["responses"]
    for topic in TOPICS:
        assert responses[f"utter_rights_{topic}"] == [{"custom": {"key": f"rights.{topic}"}}]


def test_every_intent_is_answered_by_a_rule_or_story() -> None:
    handled = {s["intent"] for s in dialogue_steps() if "intent" in s}
    missing = set(load("bot/domain.yml")["intents"]) - handled
    assert not missing, f"intents with no rule or story: {sorted(missing)}"
    assert "nlu_fallback" in handled


def test_rules_and_stories_only_use_declared_actions() -> None:
    domain = load("bot/domain.yml")
    declared = set(domain["responses"]) | set(domain["actions"]) | set(domain["forms"])
    declared |= {"action_deactivate_loop", "action_listen"}
    used = {s["action"] for s in dialogue_steps() if "action" in s}
    assert used <= declared, sorted(used - declared)


def test_custom_actions_in_the_domain_are_implemented() -> None:
    names: Set[str] = set()
    for path in (ROOT / "actions").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "name":
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Constant):
                        names.add(ret.value.value)
    assert set(load("bot/domain.yml")["actions"]) == names


def test_actions_keys_module_agrees_with_the_task_topics() -> None:
    tree = ast.parse((ROOT / "actions" / "keys.py").read_text(encoding="utf-8"))
    topics = next(ast.literal_eval(n.value) for n in tree.body
                  if isinstance(n, ast.Assign) and n.targets[0].id == "RIGHTS_TOPICS")
    assert list(topics) == TOPICS


def test_report_form_questions_are_keyed_and_skippable() -> None:
    domain = load("bot/domain.yml")
    slots = domain["forms"]["report_form"]["required_slots"]
    assert slots == ["report_what", "report_where", "report_when", "report_else"]
    for slot in slots:
        assert domain["responses"][f"utter_ask_{slot}"][0]["custom"]["key"] == "report.ask_" + slot[7:]
        mappings = domain["slots"][slot]["mappings"]
        assert {"type": "from_intent", "intent": "skip", "value": "skipped"}.items() <= mappings[0].items()
        text = mappings[1]
        assert text["type"] == "from_text"
        assert {"skip", "ask_human", "stop"} <= set(text["not_intent"])


def test_english_nlu_has_at_least_25_examples_per_intent_and_no_duplicates() -> None:
    examples = nlu_examples(ROOT / "data" / "nlu" / "en.yml")
    assert set(examples) == set(load("bot/domain.yml")["intents"])
    for intent, texts in examples.items():
        assert len(texts) >= 25, f"{intent}: {len(texts)} examples"
    flat = [t.lower() for texts in examples.values() for t in texts]
    dupes = {t for t in flat if flat.count(t) > 1}
    assert not dupes, f"same example under two intents or twice: {sorted(dupes)}"


@pytest.mark.parametrize("path", sorted((ROOT / "data" / "nlu").glob("*.yml")), ids=lambda p: p.stem)
def test_every_language_file_covers_exactly_the_domain_intents(path: Path) -> None:
    examples = nlu_examples(path)
    intents = set(load("bot/domain.yml")["intents"])
    assert set(examples) <= intents, f"unknown intents: {sorted(set(examples) - intents)}"
    assert intents <= set(examples), f"intents without data: {sorted(intents - set(examples))}"


def test_config_learns_every_language_without_pretrained_parts() -> None:
    config = load("config.yml")
    names = [c["name"] for c in config["pipeline"]]
    assert names == ["WhitespaceTokenizer", "bot.components.tfidf_intent_classifier.TfidfSvmIntentClassifier",
                     "FallbackClassifier"]
    # the classifier is built from the project's own code and data only: nothing pretrained
    source = (ROOT / "bot" / "components" / "tfidf_intent_classifier.py").read_text(encoding="utf-8")
    assert "TfidfVectorizer" in source and "from_pretrained" not in source and "download" not in source
    policies = [p["name"] for p in config["policies"]]
    assert set(policies) == {"MemoizationPolicy", "RulePolicy"}
    script = (ROOT / "scripts" / "train-model.sh").read_text(encoding="utf-8")
    assert "--data data/nlu data/rules.yml data/stories.yml" in script
    assert "--domain bot/domain.yml" in script


def test_locale_has_every_key_the_bot_sends() -> None:
    locale = ROOT / "locales" / "en.yml"
    if not locale.exists():
        pytest.skip("locales/en.yml not written yet")
    messages = set((yaml.safe_load(locale.read_text(encoding="utf-8")) or {}).get("messages") or {})
    sent = {v[0]["custom"]["key"] for v in load("bot/domain.yml")["responses"].values()}
    sent |= {f"rights.{t}.more" for t in TOPICS} | {"more.none", "report.done", "fallback", "handover.offer"}
    assert not sent - messages, f"keys the bot sends that locales/en.yml lacks: {sorted(sent - messages)}"


def test_servers_bind_loopback_only() -> None:
    endpoints = load("bot/endpoints.yml")
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"
    assert endpoints["tracker_store"]["type"] == "SQL"
    assert endpoints["tracker_store"]["db"] == "var/rasa/tracker.db"
    readme = (ROOT / "bot" / "README.md").read_text(encoding="utf-8")
    assert "-i 127.0.0.1 -p 5005" in readme
    assert "python -m actions --host 127.0.0.1 --port 5055" in readme
