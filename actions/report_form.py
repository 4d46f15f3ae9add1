"""The anonymous report form: validation, submission and cancellation.

A member of the public may report what they saw without identifying anyone or themselves (seed-001
notes R-4.11; seed 001 L5551-5555 members of the public refer, L4100-4102 case information without
personal data). Every question is skippable, answers are stored as given (trimmed and capped), and
nothing asks for names, photos, documents or location data (POLICY.md 5).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.keys import REPORT_DONE, REPORT_SLOTS, REPORT_SUBMITTED, SKIPPED, payload
from actions.skip_words import is_skip

# Long enough for a full account in an SMS thread, short enough to keep one slot sane.
MAX_ANSWER_CHARS = 2000


def clean_answer(value: Any) -> str:
    """The stored answer: "skipped" for skip-like or empty answers, else the trimmed text."""
    if value is None:
        return SKIPPED
    text = re.sub(r"[ \t]+", " ", str(value)).strip()
    if not text or is_skip(text):
        return SKIPPED
    return text[:MAX_ANSWER_CHARS]


class ValidateReportForm(FormValidationAction):
    """Normalises each answer; a "skip"-like text becomes "skipped" like the `skip` intent."""

    def name(self) -> Text:
        return "validate_report_form"

    def validate_report_what(self, slot_value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return {"report_what": clean_answer(slot_value)}

    def validate_report_where(self, slot_value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return {"report_where": clean_answer(slot_value)}

    def validate_report_when(self, slot_value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return {"report_when": clean_answer(slot_value)}

    def validate_report_else(self, slot_value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return {"report_else": clean_answer(slot_value)}


def report_params(tracker: Tracker) -> Dict[str, str]:
    """The four answers under the names the contract gives (`what where when else`)."""
    params: Dict[str, str] = {}
    for slot in REPORT_SLOTS:
        value: Optional[Any] = tracker.get_slot(slot)
        params[slot[len("report_"):]] = clean_answer(value)
    return params


def _reset_report() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in REPORT_SLOTS] + [SlotSet("requested_slot", None)]


class ActionSubmitReport(Action):
    """Ends the form: `report.done` with directive `report_submitted`; the hotline stores it.

    The slots are cleared afterwards so a second report in the same conversation starts empty and
    the answers live only in the hotline's report record, not in the bot's state.
    """

    def name(self) -> Text:
        return "action_submit_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            json_message=payload(REPORT_DONE, REPORT_SUBMITTED, report_params(tracker)))
        return _reset_report()


class ActionCancelReport(Action):
    """Leaves the form when the person asks for a person, stops, or cannot talk; drops answers."""

    def name(self) -> Text:
        return "action_cancel_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return [ActiveLoop(None)] + _reset_report()
