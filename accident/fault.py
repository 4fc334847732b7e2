"""The fault template engine (FAULT_RULES.md §3): facts + a template set → a decision. PURE.

The engine knows the evaluation order and the allocation rule; every scenario, contradiction, modifier and
exemption is data in the set (accident/templates/*.json), so a province can ship its own without code.
"""

from __future__ import annotations

from accident.fault_conditions import PARTY_ORDER, TemplateSetError
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
from accident.fault_sets import DEFAULT_SET, TemplateSet, load_set_json, load_shipped_sets, parse_set

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

_SLOT = {name: i for i, name in enumerate(PARTY_ORDER)}
_UNKNOWN = (None,) * len(PARTY_ORDER)  # for a lone party every fact about the other is unknown


def _facts_of(p: Party) -> list:
    """A party's facts in PARTY_ORDER; None is unknown, a missing flag list is an empty set."""
    return [p.movement, p.impact, p.signal, p.priority, p.other_from, p.flags]


def _reconcile(ts: TemplateSet, case: tuple, a: list, b: list) -> list[tuple[str, str]]:
    """Apply the set's mirror rules: infer a lone view, report views that do not mirror each other."""
    bad: list[tuple[str, str]] = []
    for i in ts.match_mirrors(*case, *_UNKNOWN, *_UNKNOWN):
        m = ts.mirrors[i]
        k = _SLOT[m.fact]
        x, y = a[k], b[k]
        if x is None and y is None:
            continue
        if x is None or y is None:
            given, missing = (y, a) if x is None else (x, b)
            if given in m.pairs:
                missing[k] = m.pairs[given]
            else:
                bad.append((m.zh, m.en))
        elif m.pairs.get(x) != y:
            bad.append((m.zh, m.en))
    return bad


def _reason(
    ts: TemplateSet, code: ReviewCode, specifics: list[tuple[str, str]] | None = None
) -> ReviewReason:
    if not specifics:
        return ts.plain_reasons[code]
    zh, en = ts.review_texts[code]
    if specifics:
        zh += "（" + "；".join(dict.fromkeys(s[0] for s in specifics)) + "）"
        en += " (" + "; ".join(dict.fromkeys(s[1] for s in specifics)) + ")"
    return ReviewReason(code, zh, en)


def _review(ts: TemplateSet, reasons: list[ReviewReason], matched: tuple[Match, ...] = ()) -> Decision:
    return Decision(Outcome.NEEDS_REVIEW, (), matched, ts.id, ts.version, tuple(reasons))


def assess(ts: TemplateSet, facts: Facts) -> Decision:
    """Decide liability from the parties' facts under one template set; review whenever in doubt."""
    parties = facts.parties
    if len(parties) > 2:
        return _review(ts, [_reason(ts, ReviewCode.MULTI_VEHICLE)])
    case = (facts.context.junction, facts.context.collision, len(parties))
    if len(parties) == 2:
        a, b = _facts_of(parties[0]), _facts_of(parties[1])
        bad = _reconcile(ts, case, a, b)
        views = ((*case, *a, *b), (*case, *b, *a))
    else:
        bad = []
        views = ((*case, *_facts_of(parties[0]), *_UNKNOWN),)
    checks = ts.contradictions
    for v in views:
        bad += [(checks[i].zh, checks[i].en) for i in ts.match_contradictions(*v)]
    if bad:
        return _review(ts, [_reason(ts, ReviewCode.CONTRADICTORY_FACTS, bad)])

    rows = ts.by_code
    matched: list[Match] = []
    at_fault: list[bool] = []
    mismatch = False
    for p, v in zip(parties, views, strict=True):
        hits = [rows[i] for i in ts.match_rows(*v)]  # already in code order
        matched += [Match(p.id, r.code, r.title_zh, r.title_en, r.legal_basis) for r in hits]
        at_fault.append(bool(hits))
        if p.declared_scenarios and not set(p.declared_scenarios) <= {r.code for r in hits}:
            mismatch = True
    found = tuple(matched)

    reasons: list[ReviewReason] = []
    if mismatch:
        reasons.append(_reason(ts, ReviewCode.DECLARED_MISMATCH))
    mo = ts.modifiers
    mods = [(mo[i].zh, mo[i].en) for v in views for i in ts.match_modifiers(*v)]
    if mods:
        reasons.append(_reason(ts, ReviewCode.MODIFIER, mods))
    if not any(at_fault):
        reasons.append(_reason(ts, ReviewCode.NO_SCENARIO))
    if reasons:
        return _review(ts, reasons, found)

    both = len(at_fault) == 2 and all(at_fault)
    allocations = tuple(
        Allocation(p.id, Liability.EQUAL if both else Liability.FULL if hit else Liability.NONE)
        for p, hit in zip(parties, at_fault, strict=True)
    )
    return Decision(Outcome.DETERMINED, allocations, found, ts.id, ts.version, ())
