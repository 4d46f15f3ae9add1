"""The indicator names triage may output, the tier each implies, and where each comes from.

Language files (``patterns/<lang>.yml``) may only use these names, with these tiers; the loader
refuses a file that disagrees, so a tier is decided once for every language. Sources are the seed
notes in /work/shared/domain (S000/S002 = seeds 000/002, S001 = seed 001 OSCE NRM handbook,
S004 = seed 004, CTL = anchors-notes §3, Polaris = anchors-notes §6.10).
"""
from __future__ import annotations

from dataclasses import dataclass

TIERS = ("P0", "P1", "P2", "P3")
TIER_RANK = {t: i for i, t in enumerate(TIERS)}  # lower rank = more urgent


def more_urgent(a: str, b: str) -> str:
    """The more urgent of two tiers."""
    return a if TIER_RANK[a] <= TIER_RANK[b] else b


@dataclass(frozen=True)
class Indicator:
    name: str
    tier: str | None  # None: recorded for staff, never changes the tier by itself
    description: str
    sources: str


_ALL = [
    # --- P0: danger to life or body now or within hours -------------------------------------
    Indicator("violence_now", "P0", "violence happening now or a weapon used/threatened now",
              "S002:L271 (serious violence and death), L198 (weapons); S001 L11200-11202"),
    Indicator("threat_to_kill", "P0", "a threat to kill the writer or family",
              "S000:L150; S001 L2096-2097, L5369-5371; Polaris 'threat to kill' (anchors §6.10)"),
    Indicator("locked_in", "P0", "locked in, held captive, cannot get out now",
              "S002:L225; Polaris 'not free to leave', 'signs of restraint/confinement'; anchors §3.2 'locked in'"),
    Indicator("medical_emergency", "P0", "serious injury, bleeding, unconscious, cannot breathe, overdose, "
              "swallowed drug packets, pregnancy complications, severe hunger",
              "S001 L5241-5258 (urgent medical issues), L4466; S002:L195, L273"),
    Indicator("suicide_self_harm", "P0", "suicide or self-harm intent, method words",
              "S000:L164; S002:L212; S004 L319 (seeds-003-004 CRI-1/2); CTL method words (anchors §3.1)"),
    Indicator("sexual_assault_recent", "P0", "sexual assault in the last days",
              "S001 L11046-11054, fn 508 L11090; S002:L273"),
    Indicator("moved_or_sold_now", "P0", "being moved, sold or handed over tonight / right now",
              "anchors §3.2 'being moved tonight'; S001 L1157-1158 (pre-exploitation is in scope)"),
    Indicator("unsafe_now", "P0", "not safe now, the controller is present, someone is watching the phone",
              "S001 L11200-11202 ('currently unsafe situation always demand an urgent response'); S002:L207"),
    Indicator("urgent_help", "P0", "an explicit emergency call: SOS, help now, come quickly",
              "S002:L384 (immediate danger); TRIAGE.md 'when in doubt, the higher tier'"),
    Indicator("child_in_danger", "P0", "a child in immediate danger or being taken now",
              "S001 L5631; L1740-1742 (unaccompanied child at immediate risk)"),
    # --- P1: ongoing exploitation or control -------------------------------------------------
    Indicator("movement_restriction", "P1", "not allowed to leave or go out, watched, cannot quit",
              "S004 L246-248 ('unable to leave his/her work', 'limited freedom of movement'); Polaris"),
    Indicator("document_control", "P1", "passport, ID or papers taken or kept by someone else",
              "Polaris 'not in control of ID documents'; S004 L246-248; S002:L260"),
    Indicator("debt_bondage", "P1", "a debt to the employer/recruiter that cannot be paid or keeps growing",
              "S001 L2059-2092; S002:L244, L274; S000:L276"),
    Indicator("threat_violence", "P1", "threats to the writer or family, to expose them, or to report them",
              "S000:L150; S001 L2096-2097, L5475-5477; S004 L134"),
    Indicator("physical_abuse", "P1", "being beaten or hurt (not described as happening right now)",
              "S002:L194; S004 L246-248 ('physical signs of violence')"),
    Indicator("wage_withholding", "P1", "not paid, wages or earnings kept by someone else",
              "S004 L246-248 ('not allowed to keep his/her money'); Polaris 'unpaid'; S001 L1640-1645"),
    Indicator("forced_sex", "P1", "made to have sex with others, sold for sex, clients, online sexual coercion",
              "S001 L2005-2017 (loverboy), L2214-2226; S002:L273; Polaris 'has a pimp/manager'"),
    Indicator("forced_labour", "P1", "forced work, extreme hours, no days off, no breaks, inhumane living",
              "S001 L2021-2026, L1817-1866; S002:L276-277; Polaris 'excessively long hours'"),
    Indicator("forced_criminality", "P1", "made to sell/carry drugs, steal, beg, grow cannabis, scam, open bank accounts",
              "S002:L153-157, L195, L225-246; S000:L358; S001 L2532-2540"),
    Indicator("isolation_control", "P1", "phone taken, contact with family stopped, location tracked",
              "S004 L116, L246-248; S002:L255-256"),
    Indicator("coercion", "P1", "being forced or made to do something by someone else",
              "S001 L1117-1141 (means: threat, force, coercion), L6209-6214 (control and instruction of others); S002:L151"),
    Indicator("forced_marriage", "P1", "being married off or made to marry", "S001 L1366-1377, L2267"),
    Indicator("organ_removal", "P1", "pressure to sell or give an organ", "S001 L1913-1914, L2074-2075"),
    Indicator("asks_for_help", "P1", "asks for help with no topic ('help', 'ajutor', 'допоможіть')",
              "TRIAGE.md 'when in doubt, the higher tier'; S001 L1996-1999 (unknown narratives go to a human)"),
    Indicator("child_alone_missing", "P1", "a child alone, missing, run away, or away with an unknown adult",
              "S001 L1925-1926 (runaway approached within 48 h), L1740-1742; S002:L193"),
    Indicator("retrafficking_threat", "P1", "found again / pursued by former exploiters after leaving",
              "S001 L8472-8476; S002:L95, L285; seeds-000-002 URG-08"),
    # --- P2: past exploitation, suspicious offers, concerns -----------------------------------
    Indicator("past_exploitation", "P2", "exploitation in the past (escaped, used to be forced)",
              "seeds-000-002 §3.2 P2; S002:L464; S000:L276"),
    Indicator("suspicious_offer", "P2", "job or money offer with classic lure features",
              "S002:L238-241; S001 L2021-2023, L2137-2143"),
    Indicator("third_party_concern", "P2", "someone describes what they saw happening to another person",
              "S004 L138; seeds-000-002 §2.2 (reporter voice)"),
    Indicator("retraction", "P2", "takes back what was said ('forget it', 'I made it up')",
              "S002:L211 (withdrawal of allegations); seeds-000-002 IND-06"),
    Indicator("fear_of_exploiter", "P2", "fear of someone, fear of retaliation or of authorities",
              "S002:L206; S004 L116; Polaris 'fearful, anxious'"),
    # --- no tier of their own ----------------------------------------------------------------
    Indicator("minimising", None, "minimising or normalising ('it's my choice', 'I agreed', 'not that bad')",
              "S002:L209, L173; S001 L1146-1151; TRIAGE.md: never lowers the tier"),
    Indicator("child_cue", None, "a cue that the writer or the person written about may be under 18",
              "S001 L565-566, L1153-1155; S002:L173; seeds-000-002 IND-08"),
]

CATALOGUE: dict[str, Indicator] = {i.name: i for i in _ALL}
