"""A seeded mix of fault fact sets (§2 JSON): every row, every review path, worked examples, random cases."""

from __future__ import annotations

import random

from accident.fault_model import COLLISIONS, DIRECTIONS, FLAGS, IMPACTS, JUNCTIONS, MOVEMENTS

N, SIG, UNS = "none", "signalised", "unsignalised"


def ctx(junction: str, collision: str) -> dict:
    return {"junction": junction, "collision": collision}


def p(pid: str, movement: str, **facts: object) -> dict:
    return {"id": pid, "movement": movement, **facts}


# (context, parties): one case that makes each row match, then the review paths of §3.
ROW_CASES = [
    (ctx(N, "rear_end"), [p("A", "straight", impact="front"), p("B", "stopped", impact="rear")]),
    (ctx(N, "sideswipe_same_direction"), [p("A", "changing_lane"), p("B", "straight")]),
    (
        ctx(SIG, "side_impact"),
        [p("A", "turning_left", signal="green"), p("B", "straight", signal="green")],
    ),
    (
        ctx(SIG, "side_impact"),
        [p("A", "turning_right", signal="red"), p("B", "straight", signal="green")],
    ),
    (
        ctx(SIG, "side_impact"),
        [p("A", "straight", signal="red"), p("B", "straight", signal="green")],
    ),
    (ctx(N, "side_impact"), [p("A", "overtaking"), p("B", "turning_left")]),
    (
        ctx(UNS, "side_impact"),
        [p("A", "straight", priority="yield_sign"), p("B", "straight", priority="major_road")],
    ),
    (
        ctx(UNS, "side_impact"),
        [p("A", "turning_left", priority="none"), p("B", "straight", priority="none")],
    ),
    (
        ctx(UNS, "side_impact"),
        [
            p("A", "turning_right", priority="none", other_from="opposite"),
            p("B", "turning_left", priority="none"),
        ],
    ),
    (ctx("roundabout", "side_impact"), [p("A", "entering_roundabout"), p("B", "in_roundabout")]),
    (ctx(N, "side_impact"), [p("A", "u_turn"), p("B", "straight")]),
    (ctx(N, "side_impact"), [p("A", "overtaking"), p("B", "u_turn")]),
    (
        ctx(N, "side_impact"),
        [p("A", "u_turn", flags=["u_turn_prohibited"]), p("B", "turning_left")],
    ),
    (ctx(N, "head_on"), [p("A", "straight", flags=["wrong_way"]), p("B", "straight")]),
    (ctx(N, "head_on"), [p("A", "overtaking", other_from="opposite"), p("B", "straight")]),
    (
        ctx(SIG, "side_impact"),
        [p("A", "turning_left", flags=["wrong_guide_lane"]), p("B", "turning_left")],
    ),
    (ctx(N, "side_impact"), [p("A", "reversing"), p("B", "stopped")]),
    (ctx(N, "side_impact"), [p("A", "rolling"), p("B", "stopped")]),
    (
        ctx(N, "side_impact"),
        [p("A", "stopped", flags=["door_opened", "lawfully_parked"]), p("B", "straight")],
    ),
    (
        ctx(N, "side_impact"),
        [p("A", "turning_left", flags=["ignored_officer"]), p("B", "turning_left")],
    ),
    (ctx(N, "side_impact"), [p("A", "straight", flags=["reserved_lane"]), p("B", "turning_left")]),
    (
        ctx(N, "side_impact"),
        [p("A", "straight", flags=["prohibited_road"]), p("B", "turning_left")],
    ),
    (
        ctx(SIG, "side_impact"),
        [p("A", "turning_left"), p("B", "straight", signal="red", flags=["emergency_on_duty"])],
    ),
    (
        ctx(UNS, "side_impact"),
        [
            p("A", "straight", priority="none", other_from="right"),
            p("B", "straight", priority="none"),
        ],
    ),
    (ctx(N, "side_impact"), [p("A", "entering_road"), p("B", "straight")]),
    (ctx(N, "side_impact"), [p("A", "straight"), p("B", "parked", flags=["lawfully_parked"])]),
    (
        ctx(N, "sideswipe_same_direction"),
        [p("A", "overtaking", flags=["overtook_on_right"]), p("B", "straight")],
    ),
    (ctx(N, "single_vehicle"), [p("A", "straight")]),
    # review paths
    (ctx(N, "rear_end"), [p("A", "straight"), p("B", "straight"), p("C", "stopped")]),
    (
        ctx(N, "side_impact"),
        [p("A", "straight", other_from="left"), p("B", "straight", other_from="left")],
    ),
    (ctx(N, "rear_end"), [p("A", "straight", impact="front"), p("B", "stopped", impact="front")]),
    (ctx(N, "single_vehicle"), [p("A", "straight"), p("B", "straight")]),
    (ctx(N, "head_on"), [p("A", "reversing")]),
    (ctx(N, "side_impact"), [p("A", "straight", signal="red"), p("B", "straight")]),
    (ctx(SIG, "side_impact"), [p("A", "straight", priority="major_road"), p("B", "straight")]),
    (
        ctx(N, "side_impact"),
        [p("A", "stopped", flags=["lawfully_parked", "stopped_unlawfully"]), p("B", "straight")],
    ),
    (
        ctx(N, "rear_end"),
        [
            p("A", "straight", impact="front", declared_scenarios=["Q18"]),
            p("B", "stopped", impact="rear", flags=["no_hazard_lights"]),
        ],
    ),
    (
        ctx(N, "rear_end"),
        [
            p("A", "straight", impact="front"),
            p("B", "stopped", impact="rear", flags=["stopped_unlawfully"]),
        ],
    ),
    (ctx(N, "side_impact"), [p("A", "straight"), p("B", "straight")]),
    # worked examples not already above
    (ctx(N, "rear_end"), [p("A", "straight", impact="front"), p("B", "reversing", impact="rear")]),
    (ctx(N, "sideswipe_same_direction"), [p("A", "changing_lane"), p("B", "changing_lane")]),
    (
        ctx(SIG, "side_impact"),
        [
            p("A", "straight", signal="red", other_from="left"),
            p("B", "straight", signal="red", other_from="right"),
        ],
    ),
    (
        ctx(SIG, "rear_end"),
        [
            p("A", "straight", signal="red", impact="front"),
            p("B", "stopped", signal="red", impact="rear"),
        ],
    ),
    (ctx(N, "single_vehicle"), [p("A", "reversing", impact="rear")]),
]

SCENARIO_CODES = ["Q01", "Q02", "Q05", "Q14", "Q18", "B09", "B12"]


def _random_party(rng: random.Random, pid: str, junction: str, consistent: bool) -> dict:
    party: dict = {"id": pid, "movement": rng.choice(sorted(MOVEMENTS))}
    if rng.random() < 0.6:
        party["impact"] = rng.choice(sorted(IMPACTS))
    if (junction == SIG or not consistent) and rng.random() < 0.7:
        party["signal"] = rng.choice(["green", "green", "red", "yellow", "none"])
    if (junction == UNS or not consistent) and rng.random() < 0.7:
        party["priority"] = rng.choice(["none", "none", "yield_sign", "major_road"])
    if rng.random() < 0.5:
        party["other_from"] = rng.choice(sorted(DIRECTIONS))
    if rng.random() < 0.3:
        party["flags"] = rng.sample(sorted(FLAGS), rng.choice([1, 1, 2]))
    if rng.random() < 0.1:
        party["declared_scenarios"] = [rng.choice(SCENARIO_CODES)]
    return party


def _random_case(rng: random.Random) -> dict:
    consistent = rng.random() < 0.8
    junction = rng.choice(sorted(JUNCTIONS))
    single = rng.random() < 0.08
    collision = "single_vehicle" if single else rng.choice(sorted(COLLISIONS - {"single_vehicle"}))
    parties = [_random_party(rng, pid, junction, consistent) for pid in ("A",) if single] or [
        _random_party(rng, pid, junction, consistent) for pid in ("A", "B")
    ]
    if (
        len(parties) == 2
        and consistent
        and "other_from" in parties[0]
        and "other_from" in parties[1]
    ):
        del parties[1]["other_from"]  # one view only: the engine mirrors it
    return {"context": ctx(junction, collision), "parties": parties}


def generate_mix(count: int = 10_000, seed: int = 42) -> list[dict]:
    """`count` fact sets: the fixed cases (each also with the parties swapped) then seeded random ones."""
    rng = random.Random(seed)
    fixed = [{"context": c, "parties": ps} for c, ps in ROW_CASES]
    fixed += [{"context": c, "parties": list(reversed(ps))} for c, ps in ROW_CASES]
    mix = fixed * 20  # weight the row and review cases so they are a large part of the timed work
    mix += [_random_case(rng) for _ in range(max(0, count - len(mix)))]
    rng.shuffle(mix)
    return mix[:count]
