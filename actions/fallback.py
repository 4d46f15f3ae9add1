"""`action_fallback`: an honest "I did not understand", as the message key `fallback`.

POLICY.md 9 (two misunderstood messages in a row offer a person) is enforced by the hotline, which
counts consecutive `fallback` replies per conversation and then offers a person itself
(hotline/conversation/core.py, `fallback_streak`). Offering here too would show the person two
offers at once, so this action only reports that the message was not understood. It stays a
custom action (rather than a plain response) so both NLU fallback and RulePolicy's core fallback
(config.yml `core_fallback_action_name`) end in the same place.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.keys import FALLBACK, payload


class ActionFallback(Action):
    """Sends `fallback`; the hotline turns the second one in a row into an offer of a person."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(json_message=payload(FALLBACK))
        return []
