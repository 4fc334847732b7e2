"""Fault engine (BENCH.md): the data-driven template engine against a hand-written if chain of §3."""

from __future__ import annotations

import statistics
import time

from accident.fault import Facts, assess, load_shipped_sets
from accident.fault_model import Party
from bench.common import Row, median_row
from bench.fault_cases import generate_mix

NAME = "fault_engine"
MIRROR = {
    "ahead": "behind",
    "behind": "ahead",
    "left": "right",
    "right": "left",
    "opposite": "opposite",
}
FRONT_REAR = {"front": "rear", "rear": "front"}
NOT_STRAIGHT_LEAD = ("reversing", "rolling", "changing_lane")
TURNING = ("turning_left", "turning_right")
R = "needs_review"


def _codes(
    me: Party,
    imp: str | None,
    frm: str | None,
    o: Party | None,
    o_imp: str | None,
    j: str,
    col: str,
    n: int,
) -> list[str]:
    """Every row of §3 for one party, written out by hand."""
    m, fl, out = me.movement, me.flags, []
    em = "emergency_on_duty" in fl
    if o is not None:
        om, ofl = o.movement, o.flags
        if col == "rear_end" and imp == "front" and o_imp == "rear" and om not in NOT_STRAIGHT_LEAD:
            out.append("Q01")
        if (
            m == "changing_lane"
            and om in ("straight", "stopped", "changing_lane")
            and col in ("sideswipe_same_direction", "side_impact", "rear_end")
        ):
            out.append("Q02")
        if (
            j == "signalised"
            and me.signal == "green"
            and o.signal == "green"
            and m in TURNING
            and om == "straight"
        ):
            out.append("Q03")
        if (
            not em
            and j == "signalised"
            and m == "turning_right"
            and me.signal == "red"
            and o.signal == "green"
        ):
            out.append("Q04")
        if m == "overtaking" and om == "turning_left":
            out.append("Q06")
        if j == "unsignalised" and me.priority == "yield_sign" and o.priority == "major_road":
            out.append("Q07")
        if j == "unsignalised" and me.priority == "none" and o.priority == "none":
            if m in TURNING and om == "straight":
                out.append("Q08")
            if frm == "opposite" and m == "turning_right" and om == "turning_left":
                out.append("Q09")
            if m == "straight" and om == "straight" and frm == "right":
                out.append("B09")
        if j == "roundabout" and m == "entering_roundabout" and om == "in_roundabout":
            out.append("Q10")
        if m == "u_turn" and "u_turn_prohibited" not in fl and om == "straight":
            out.append("Q11")
        if m == "overtaking" and om == "u_turn":
            out.append("Q12")
        if "emergency_on_duty" in ofl and not em:
            out.append("B04")
        if m == "entering_road" and om == "straight":
            out.append("B10")
        if "lawfully_parked" in ofl and "door_opened" not in ofl and m not in ("stopped", "parked"):
            out.append("B12")
    if (
        not em
        and j == "signalised"
        and me.signal == "red"
        and m not in ("turning_right", "stopped", "parked")
        and col != "rear_end"
    ):
        out.append("Q05")
    if not em and m == "u_turn" and "u_turn_prohibited" in fl:
        out.append("Q13")
    if not em and "wrong_way" in fl:
        out.append("Q14")
    if m == "overtaking" and frm == "opposite":
        out.append("Q15")
    if not em and "wrong_guide_lane" in fl:
        out.append("Q17")
    if m == "reversing":
        out.append("Q18")
    if m == "rolling":
        out.append("Q19")
    if "door_opened" in fl:
        out.append("Q20")
    if "ignored_officer" in fl:
        out.append("B01")
    if not em and "reserved_lane" in fl:
        out.append("B02")
    if not em and "prohibited_road" in fl:
        out.append("B03")
    if "overtook_on_right" in fl:
        out.append("B13")
    if col == "single_vehicle" and n == 1:
        out.append("S01")
    out.sort()
    return out


def by_hand(f: Facts) -> tuple:
    """§3 as an if chain: (outcome, ((party, share), ...), ((party, code), ...), (review codes))."""
    ps, j, col = f.parties, f.context.junction, f.context.collision
    n = len(ps)
    if n > 2:
        return R, (), (), ("multi_vehicle",)
    a, b = ps[0], (ps[1] if n == 2 else None)
    imps, frms, bad = (
        [a.impact, b.impact if b else None],
        [a.other_from, b.other_from if b else None],
        False,
    )
    if b is not None:
        x, y = frms
        if x and y:
            bad = MIRROR[x] != y
        elif x or y:
            frms = [x or MIRROR[y], y or MIRROR[x]]
        x, y = imps
        if col == "rear_end" and (x or y):
            if x and y:
                bad = bad or {x, y} != {"front", "rear"}
            elif (x or y) in FRONT_REAR:
                imps = [x or FRONT_REAR[y], y or FRONT_REAR[x]]
            else:
                bad = True
    bad = bad or (col == "single_vehicle") != (n == 1)
    for q in ps:
        if q.signal not in (None, "none") and j != "signalised":
            bad = True
        if q.priority not in (None, "none") and j != "unsignalised":
            bad = True
        if "lawfully_parked" in q.flags and "stopped_unlawfully" in q.flags:
            bad = True
    if bad:
        return R, (), (), ("contradictory_facts",)
    codes = [_codes(a, imps[0], frms[0], b, imps[1], j, col, n)]
    if b is not None:
        codes.append(_codes(b, imps[1], frms[1], a, imps[0], j, col, n))
    matched = tuple((q.id, c) for q, cs in zip(ps, codes, strict=True) for c in cs)
    reasons = []
    if any(not set(q.declared_scenarios) <= set(cs) for q, cs in zip(ps, codes, strict=True)):
        reasons.append("declared_mismatch")
    if col == "rear_end" and any(
        imp == "rear" and ("stopped_unlawfully" in q.flags or "no_hazard_lights" in q.flags)
        for q, imp in zip(ps, imps, strict=False)
    ):
        reasons.append("modifier")
    hit = [bool(cs) for cs in codes]
    if not any(hit):
        reasons.append("no_scenario")
    if reasons:
        return R, (), matched, tuple(reasons)
    both = n == 2 and all(hit)
    return (
        "determined",
        tuple((q.id, 50 if both else 100 if h else 0) for q, h in zip(ps, hit, strict=True)),
        matched,
        (),
    )


def engine_view(d) -> tuple:
    return (
        d.outcome.value,
        tuple((x.party, x.share_percent) for x in d.allocations),
        tuple((m.party, m.code) for m in d.matched),
        tuple(r.code.value for r in d.review_reasons),
    )


def _interleaved(engine, hand, cases: list[Facts], block: int = 500) -> tuple[float, float]:
    """Rates of both over all cases, alternating blocks so that machine noise falls on both alike."""
    spent = [0.0, 0.0]
    for start in range(0, len(cases), block):
        chunk = cases[start : start + block]
        order = ((1, hand), (0, engine)) if start % (2 * block) else ((0, engine), (1, hand))
        for k, fn in order:
            t0 = time.perf_counter()
            for f in chunk:
                fn(f)
            spent[k] += time.perf_counter() - t0
    return len(cases) / spent[0], len(cases) / spent[1]


def run() -> list[Row]:
    """Check both agree on all 10,000 cases, then time each (median of 3, alternating)."""
    national = load_shipped_sets()["national-online"]
    cases = [Facts.from_dict(c) for c in generate_mix(10_000, 42)]
    disagree = [c for c in cases if engine_view(assess(national, c)) != by_hand(c)]
    # the compiled form against the interpreter it is derived from, on every case
    disagree += [c for c in cases if assess(national, c) != assess(national, c, fast=False)]
    if disagree:
        raise AssertionError(
            f"{len(disagree)} cases differ, e.g. {disagree[0]}: "
            f"{engine_view(assess(national, disagree[0]))} vs {by_hand(disagree[0])}"
        )
    outcomes = {}
    for c in cases:
        key = by_hand(c)[3][:1] or ("determined",)
        outcomes[key[0]] = outcomes.get(key[0], 0) + 1

    def engine(f: Facts):
        return assess(national, f)

    ours, base = [], []
    for _ in range(3):
        engine_rate, hand_rate = _interleaved(engine, by_hand, cases)
        ours.append(engine_rate)
        base.append(hand_rate)
    mix = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    unit = f"assessments/s (1 core; mix of 10,000: {mix}; the hand chain, the engine and its interpreter agree on all)"
    return [
        median_row(
            "fault engine (rows as data) vs hand-written if chain",
            ours,
            base,
            unit=unit,
            target=0.5,
        ),
        Row(
            "fault engine, absolute rate",
            statistics.median(ours),
            None,
            None,
            "> 20,000/s",
            statistics.median(ours) > 20_000,
            f"{min(ours):,.0f}–{max(ours):,.0f}",
            "assessments/s",
        ),
    ]
