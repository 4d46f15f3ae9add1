"""`action_fallback`: an honest "I did not understand", and a person after two in a row.

POLICY.md 9: two misunderstood messages in a row offer a person without being asked. Anchors
(Aselo's Lex bots) show the same rule: a bot that fails to understand hands over rather than
trapping the person in retries.
"""
from __future__ import annotations

from itertools import islice
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.keys import FALLBACK, HANDOVER_OFFER, OFFER_HANDOVER, payload
from actions.tracker_events import user_intents_newest_first

NOT_UNDERSTOOD = "nlu_fallback"


class ActionFallback(Action):
    """Sends `fallback`; on the second not-understood message in a row also `handover.offer`."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        last_two = list(islice(user_intents_newest_first(tracker.events), 2))
        dispatcher.utter_message(json_message=payload(FALLBACK))
        if len(last_two) == 2 and all(intent == NOT_UNDERSTOOD for intent in last_two):
            dispatcher.utter_message(json_message=payload(HANDOVER_OFFER, OFFER_HANDOVER))
        return []
