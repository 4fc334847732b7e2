"""From the parties' own accounts to a fault proposal (FAULT_RULES.md §2–§4). PURE.

Each party gives its own facts and its own view of the context; the engine then runs on the common context.
Views of the context that differ are contradictory facts (§2, last paragraph) and go to review, like §3 step 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accident.fault import Context, Decision, Facts, Party, TemplateSet, assess
from accident.fault_model import Outcome, ReviewCode, ReviewReason


@dataclass(frozen=True, slots=True)
class Account:
    """One party's account: its label, its view of the context, its own facts and declared scenarios."""

    label: str
    context: dict[str, str]
    facts: dict[str, Any]
    declared_scenarios: tuple[str, ...] = ()

    def party(self) -> Party:
        f = self.facts
        return Party(
            id=self.label,
            movement=f["movement"],
            impact=f.get("impact"),
            signal=f.get("signal"),
            priority=f.get("priority"),
            other_from=f.get("other_from"),
            flags=frozenset(f.get("flags") or ()),
            declared_scenarios=self.declared_scenarios,
        )


def _context_clash(ts: TemplateSet, accounts: list[Account]) -> Decision:
    zh, en = ts.review_texts[ReviewCode.CONTRADICTORY_FACTS]
    keys = sorted(
        {k for a in accounts for k in a.context if a.context[k] != accounts[0].context.get(k)}
    )
    names = {"junction": "路口类型", "collision": "事故形态"}
    zh += "（双方对" + "、".join(names.get(k, k) for k in keys) + "的描述不一致）"
    en += " (the parties describe the " + " and ".join(keys) + " differently)"
    reason = ReviewReason(ReviewCode.CONTRADICTORY_FACTS, zh, en)
    return Decision(Outcome.NEEDS_REVIEW, (), (), ts.id, ts.version, (reason,))


def propose(ts: TemplateSet, accounts: list[Account]) -> Decision:
    """The engine's decision on every party's account, in label order; differing contexts → review."""
    ordered = sorted(accounts, key=lambda a: a.label)
    parties = tuple(a.party() for a in ordered)
    first = ordered[0].context
    if len(ordered) <= 2 and any(a.context != first for a in ordered[1:]):
        return _context_clash(ts, ordered)
    return assess(ts, Facts(Context(first["junction"], first["collision"]), parties))


def facts_json(accounts: list[Account]) -> list[dict[str, Any]]:
    """The accounts as given, stored with the proposal so that it can be replayed."""
    return [
        {
            "party": a.label,
            "context": a.context,
            "facts": a.facts,
            "declared_scenarios": list(a.declared_scenarios),
        }
        for a in sorted(accounts, key=lambda a: a.label)
    ]


def accounts_from_json(data: list[dict[str, Any]]) -> list[Account]:
    return [
        Account(d["party"], d["context"], d["facts"], tuple(d.get("declared_scenarios") or ()))
        for d in data
    ]


def decision_json(d: Decision) -> dict[str, Any]:
    """The decision in the §4 response shape (the same contract `POST /v1/fault/assess` answers with)."""
    return {
        "outcome": d.outcome.value,
        "allocations": [
            {"party": a.party, "liability": a.liability.value, "share_percent": a.share_percent}
            for a in d.allocations
        ],
        "matched": [
            {
                "party": m.party,
                "scenario": m.code,
                "title": {"zh": m.title_zh, "en": m.title_en},
                "legal_basis": list(m.legal_basis),
            }
            for m in d.matched
        ],
        "template_set": {"id": d.set_id, "version": d.set_version},
        "review_reasons": [
            {"code": r.code.value, "zh": r.zh, "en": r.en} for r in d.review_reasons
        ],
    }
