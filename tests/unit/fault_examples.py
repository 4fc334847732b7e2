"""The worked examples of FAULT_RULES.md §5 as data, and the shipped national template set they run on."""

from __future__ import annotations

from accident.fault import load_shipped_sets

NATIONAL = load_shipped_sets()["national-online"]
NONE_RE = {"junction": "none", "collision": "rear_end"}
SIG_SIDE = {"junction": "signalised", "collision": "side_impact"}
SAME_DIR = {"junction": "none", "collision": "sideswipe_same_direction"}
SIDE = {"junction": "none", "collision": "side_impact"}

# (name, context, parties, outcome, {party: share}, [(party, code)], [review codes])
EXAMPLES = [
    (
        "1 rear-end into a stopped car",
        NONE_RE,
        [
            {"id": "A", "movement": "straight", "impact": "front", "other_from": "ahead"},
            {"id": "B", "movement": "stopped", "impact": "rear", "other_from": "behind"},
        ],
        "determined",
        {"A": 100, "B": 0},
        [("A", "Q01")],
        [],
    ),
    (
        "2 the car ahead reversed",
        NONE_RE,
        [
            {"id": "A", "movement": "straight", "impact": "front"},
            {"id": "B", "movement": "reversing", "impact": "rear"},
        ],
        "determined",
        {"A": 0, "B": 100},
        [("B", "Q18")],
        [],
    ),
    (
        "3 lane change into straight traffic",
        SAME_DIR,
        [
            {"id": "A", "movement": "changing_lane", "impact": "left", "other_from": "left"},
            {"id": "B", "movement": "straight", "impact": "right", "other_from": "right"},
        ],
        "determined",
        {"A": 100, "B": 0},
        [("A", "Q02")],
        [],
    ),
    (
        "4 both changed lane",
        SAME_DIR,
        [{"id": "A", "movement": "changing_lane"}, {"id": "B", "movement": "changing_lane"}],
        "determined",
        {"A": 50, "B": 50},
        [("A", "Q02"), ("B", "Q02")],
        [],
    ),
    (
        "5 left turn on green across straight green",
        SIG_SIDE,
        [
            {
                "id": "A",
                "movement": "turning_left",
                "signal": "green",
                "impact": "front",
                "other_from": "opposite",
            },
            {
                "id": "B",
                "movement": "straight",
                "signal": "green",
                "impact": "left",
                "other_from": "opposite",
            },
        ],
        "determined",
        {"A": 100, "B": 0},
        [("A", "Q03")],
        [],
    ),
    (
        "6 both ran the red",
        SIG_SIDE,
        [
            {"id": "A", "movement": "straight", "signal": "red", "other_from": "left"},
            {"id": "B", "movement": "straight", "signal": "red", "other_from": "right"},
        ],
        "determined",
        {"A": 50, "B": 50},
        [("A", "Q05"), ("B", "Q05")],
        [],
    ),
    (
        "7 traffic from the right first",
        {"junction": "unsignalised", "collision": "side_impact"},
        [
            {"id": "A", "movement": "straight", "priority": "none", "other_from": "right"},
            {"id": "B", "movement": "straight", "priority": "none", "other_from": "left"},
        ],
        "determined",
        {"A": 100, "B": 0},
        [("A", "B09")],
        [],
    ),
    (
        "8 rear-end at a red light",
        {"junction": "signalised", "collision": "rear_end"},
        [
            {"id": "A", "movement": "straight", "signal": "red", "impact": "front"},
            {"id": "B", "movement": "stopped", "signal": "red", "impact": "rear"},
        ],
        "determined",
        {"A": 100, "B": 0},
        [("A", "Q01")],
        [],
    ),
    (
        "9 door opened from a parked car",
        SIDE,
        [
            {"id": "A", "movement": "stopped", "flags": ["lawfully_parked", "door_opened"]},
            {"id": "B", "movement": "straight"},
        ],
        "determined",
        {"A": 100, "B": 0},
        [("A", "Q20")],
        [],
    ),
    (
        "10 lead car without hazard lights",
        NONE_RE,
        [
            {"id": "A", "movement": "straight", "impact": "front"},
            {"id": "B", "movement": "stopped", "impact": "rear", "flags": ["no_hazard_lights"]},
        ],
        "needs_review",
        {},
        [("A", "Q01")],
        ["modifier"],
    ),
    (
        "11 nothing fits",
        SIDE,
        [{"id": "A", "movement": "straight"}, {"id": "B", "movement": "straight"}],
        "needs_review",
        {},
        [],
        ["no_scenario"],
    ),
    (
        "12 single vehicle reversing",
        {"junction": "none", "collision": "single_vehicle"},
        [{"id": "A", "movement": "reversing", "impact": "rear"}],
        "determined",
        {"A": 100},
        [("A", "Q18"), ("A", "S01")],
        [],
    ),
    (
        "13 declared scenario does not fit, and a modifier",
        NONE_RE,
        [
            {"id": "A", "movement": "straight", "impact": "front", "declared_scenarios": ["Q18"]},
            {"id": "B", "movement": "stopped", "impact": "rear", "flags": ["no_hazard_lights"]},
        ],
        "needs_review",
        {},
        [("A", "Q01")],
        ["declared_mismatch", "modifier"],
    ),
]
