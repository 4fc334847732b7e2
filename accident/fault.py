"""The fault template engine (FAULT_RULES.md §3): facts + a template set → a decision. PURE.

The engine knows the evaluation order and the allocation rule; every scenario, contradiction, modifier and
exemption is data in the set (accident/templates/*.json), so a province can ship its own without code.
"""

from __future__ import annotations

from accident.fault_conditions import TemplateSetError, holds
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

_SELF = {n: "self." + n for n in ("movement", "impact", "signal", "priority", "other_from", "flags")}
_OTHER = {n: "other." + n for n in _SELF}


def _view(p: Party) -> dict:
    """A party's known facts; unknown ones are absent, a missing flag list is an empty set."""
    v: dict = {"movement": p.movement, "flags": p.flags}
    if p.impact is not None:
        v["impact"] = p.impact
    if p.signal is not None:
        v["signal"] = p.signal
    if p.priority is not None:
        v["priority"] = p.priority
    if p.other_from is not None:
        v["other_from"] = p.other_from
    return v


def _reconcile(ts: TemplateSet, case: dict, a: dict, b: dict) -> list[tuple[str, str]]:
    """Apply the set's mirror rules: infer a lone view, report views that do not mirror each other."""
    bad: list[tuple[str, str]] = []
    for m in ts.mirrors:
        if m.when and not holds(m.when, case):
            continue
        x, y = a.get(m.fact), b.get(m.fact)
        if x is None and y is None:
            continue
        if x is None or y is None:
            given, missing = (y, a) if x is None else (x, b)
            if given in m.pairs:
                missing[m.fact] = m.pairs[given]
            else:
                bad.append((m.zh, m.en))
        elif m.pairs.get(x) != y:
            bad.append((m.zh, m.en))
    return bad


def _reason(
    ts: TemplateSet, code: ReviewCode, specifics: list[tuple[str, str]] | None = None
) -> ReviewReason:
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
    case = {
        "context.junction": facts.context.junction,
        "context.collision": facts.context.collision,
        "case.party_count": len(parties),
    }
    views = [_view(p) for p in parties]
    bad = _reconcile(ts, case, views[0], views[1]) if len(views) == 2 else []
    selves = [{_SELF[k]: v for k, v in view.items()} for view in views]
    others = (
        [{_OTHER[k]: v for k, v in view.items()} for view in reversed(views)] if len(views) == 2 else [{}]
    )
    flats = [{**case, **s, **o} for s, o in zip(selves, others, strict=True)]
    checks = ts.contradictions
    bad += [
        (checks[i].zh, checks[i].en)
        for f in flats
        for i in ts.check_index.candidates(f)
        if holds(checks[i].tests, f)
    ]
    if bad:
        return _review(ts, [_reason(ts, ReviewCode.CONTRADICTORY_FACTS, bad)])

    matched: list[Match] = []
    matched_by_party: list[set[str]] = []
    rows = ts.rows
    for p, f in zip(parties, flats, strict=True):
        codes: set[str] = set()
        for i in ts.row_index.candidates(f):
            row = rows[i]
            if holds(row.tests, f) and not any(holds(e, f) for e in row.exempt):
                codes.add(row.code)
                matched.append(Match(p.id, row.code, row.title_zh, row.title_en, row.legal_basis))
        matched_by_party.append(codes)
    order = {p.id: i for i, p in enumerate(parties)}
    matched.sort(key=lambda m: (order[m.party], m.code))
    found = tuple(matched)

    reasons: list[ReviewReason] = []
    if any(
        not set(p.declared_scenarios) <= codes for p, codes in zip(parties, matched_by_party, strict=True)
    ):
        reasons.append(_reason(ts, ReviewCode.DECLARED_MISMATCH))
    mo = ts.modifiers
    mods = [
        (mo[i].zh, mo[i].en) for f in flats for i in ts.modifier_index.candidates(f) if holds(mo[i].tests, f)
    ]
    if mods:
        reasons.append(_reason(ts, ReviewCode.MODIFIER, mods))
    at_fault = [bool(codes) for codes in matched_by_party]
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
