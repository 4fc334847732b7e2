"""The fault template engine (FAULT_RULES.md §3): facts + a template set → a decision. PURE.

The engine knows the evaluation order and the allocation rule; every scenario, contradiction, modifier and
exemption is data in the set (accident/templates/*.json), so a province can ship its own without code.
"""

from __future__ import annotations

from typing import Any

from accident.fault_conditions import TemplateSetError
from accident.fault_model import (
    Allocation,
    Context,
    Decision,
    Facts,
    Liability,
    Match,
    Outcome,
    Party,
    ReviewCode,
    ReviewReason,
)
from accident.fault_sets import DEFAULT_SET, Row, TemplateSet, load_set_json, load_shipped_sets, parse_set

__all__ = [
    "DEFAULT_SET",
    "Context",
    "Decision",
    "Facts",
    "Party",
    "TemplateSet",
    "TemplateSetError",
    "assess",
    "load_set_json",
    "load_shipped_sets",
    "parse_set",
]

_REVIEW, _DETERMINED = Outcome.NEEDS_REVIEW, Outcome.DETERMINED
_FULL, _EQUAL, _NONE = Liability.FULL, Liability.EQUAL, Liability.NONE


def _reason(
    ts: TemplateSet, code: ReviewCode, specifics: list[tuple[str, str]] | None = None
) -> ReviewReason:
    if not specifics:
        return ts.plain_reasons[code]
    zh, en = ts.review_texts[code]
    zh += "（" + "；".join(dict.fromkeys(s[0] for s in specifics)) + "）"
    en += " (" + "; ".join(dict.fromkeys(s[1] for s in specifics)) + ")"
    return ReviewReason(code, zh, en)


def _review(ts: TemplateSet, reasons: list[ReviewReason], matched: tuple[Match, ...] = ()) -> Decision:
    return Decision(_REVIEW, (), matched, ts.id, ts.version, tuple(reasons))


def _fits(declared: tuple[str, ...], hits: list[Row]) -> bool:
    """Whether every scenario a party declared is among the rows that hold for it."""
    codes = set()
    for r in hits:
        codes.add(r.code)
    return codes.issuperset(declared)


def assess(ts: TemplateSet, facts: Facts) -> Decision:
    """Decide liability from the parties' facts under one template set; review whenever in doubt.

    The set is specialised once per case (TemplateSet.plan): conditions on the junction, the collision and
    the party count are decided there, so only the rows that can still hold are tested per party.
    """
    parties = facts.parties
    n = len(parties)
    if n > 2:
        return _review(ts, [_reason(ts, ReviewCode.MULTI_VEHICLE)])
    p = parties[0]
    context = facts.context
    plan = ts.plans.get((context.junction, context.collision, n))
    if plan is None:
        plan = ts.plan(context.junction, context.collision, n)
    mirrors, contradictions, match_rows, modifiers = plan
    # a party's facts in PARTY_ORDER; None is unknown
    a: list[Any] = [p.movement, p.impact, p.signal, p.priority, p.other_from, p.flags]
    if n == 2:
        q = parties[1]
        b: list[Any] = [q.movement, q.impact, q.signal, q.priority, q.other_from, q.flags]
        # the set's mirror rules: infer a lone view, report views that do not mirror each other
        bad: list[tuple[str, str]] = []
        for k, pairs, text in mirrors:
            x, y = a[k], b[k]
            if x is None:
                if y is None:
                    continue
                if y in pairs:
                    a[k] = pairs[y]
                else:
                    bad.append(text)
            elif y is None:
                if x in pairs:
                    b[k] = pairs[x]
                else:
                    bad.append(text)
            elif pairs.get(x) != y:
                bad.append(text)
        bad += contradictions(*a, *b)
        bad += contradictions(*b, *a)
        if bad:
            return _review(ts, [_reason(ts, ReviewCode.CONTRADICTORY_FACTS, bad)])
        hits = match_rows(*a, *b)
        other_hits = match_rows(*b, *a)
        mods = modifiers(*a, *b)
        mods += modifiers(*b, *a)
    else:
        bad = contradictions(*a)
        if bad:
            return _review(ts, [_reason(ts, ReviewCode.CONTRADICTORY_FACTS, bad)])
        q = None
        hits = match_rows(*a)
        other_hits = []
        mods = modifiers(*a)

    pid = p.id
    matched = [Match(pid, r.code, r.title_zh, r.title_en, r.legal_basis) for r in hits]
    mismatch = bool(p.declared_scenarios) and not _fits(p.declared_scenarios, hits)
    if q is not None:
        qid = q.id
        for r in other_hits:
            matched.append(Match(qid, r.code, r.title_zh, r.title_en, r.legal_basis))
        if q.declared_scenarios and not _fits(q.declared_scenarios, other_hits):
            mismatch = True

    reasons: list[ReviewReason] = []
    if mismatch:
        reasons.append(ts.plain_reasons[ReviewCode.DECLARED_MISMATCH])
    if mods:
        reasons.append(_reason(ts, ReviewCode.MODIFIER, mods))
    if not hits and not other_hits:
        reasons.append(ts.plain_reasons[ReviewCode.NO_SCENARIO])
    if reasons:
        return Decision(_REVIEW, (), tuple(matched), ts.id, ts.version, tuple(reasons))

    if q is None:
        allocations: tuple[Allocation, ...] = (Allocation(pid, _FULL),)
    elif hits and other_hits:
        allocations = (Allocation(pid, _EQUAL), Allocation(q.id, _EQUAL))
    else:
        allocations = (Allocation(pid, _FULL if hits else _NONE), Allocation(q.id, _FULL if other_hits else _NONE))
    return Decision(_DETERMINED, allocations, tuple(matched), ts.id, ts.version, ())
