"""`action_tell_more`: "more" continues the last rights topic, one level deeper.

Rights are given in small chunks and the person asks for the next one (seed-001 notes R-3.5, seed
001 L4148-4150 "not to overwhelm survivors"). With no short rights card to continue (nothing sent
yet, the overview, or the longer card already sent) the answer is `more.none`, which points to the
topics and to a person, rather than guessing.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.keys import MORE_NONE, more_key_for, payload
from actions.tracker_events import last_rights_key


class ActionTellMore(Action):
    """Sends `<last rights key>.more`, or `more.none`."""

    def name(self) -> Text:
        return "action_tell_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        last = last_rights_key(tracker.events)
        more = more_key_for(last) if last else None
        dispatcher.utter_message(json_message=payload(more or MORE_NONE))
        return []
