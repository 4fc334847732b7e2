"""Facts that make each row of the national set hold, and near misses one fact off: shared by the row tests
and by the check that the compiled predicates answer as the interpreted ones."""

from __future__ import annotations

N = {"junction": "none", "collision": "side_impact"}
SIG = {"junction": "signalised", "collision": "side_impact"}
UNS = {"junction": "unsignalised", "collision": "side_impact"}
RB = {"junction": "roundabout", "collision": "side_impact"}


def p(pid: str, movement: str, **facts) -> dict:
    return {"id": pid, "movement": movement, **facts}


# code → (context, A (the party that should match), B)
POSITIVE = {
    "Q01": (
        {"junction": "none", "collision": "rear_end"},
        p("A", "straight", impact="front"),
        p("B", "stopped", impact="rear"),
    ),
    "Q02": (
        {"junction": "none", "collision": "sideswipe_same_direction"},
        p("A", "changing_lane"),
        p("B", "straight"),
    ),
    "Q03": (SIG, p("A", "turning_right", signal="green"), p("B", "straight", signal="green")),
    "Q04": (SIG, p("A", "turning_right", signal="red"), p("B", "straight", signal="green")),
    "Q05": (SIG, p("A", "turning_left", signal="red"), p("B", "straight", signal="green")),
    "Q06": (N, p("A", "overtaking"), p("B", "turning_left")),
    "Q07": (
        UNS,
        p("A", "straight", priority="yield_sign"),
        p("B", "straight", priority="major_road"),
    ),
    "Q08": (UNS, p("A", "turning_left", priority="none"), p("B", "straight", priority="none")),
    "Q09": (
        UNS,
        p("A", "turning_right", priority="none", other_from="opposite"),
        p("B", "turning_left", priority="none"),
    ),
    "Q10": (RB, p("A", "entering_roundabout"), p("B", "in_roundabout")),
    "Q11": (N, p("A", "u_turn"), p("B", "straight")),
    "Q12": (N, p("A", "overtaking"), p("B", "u_turn")),
    "Q13": (N, p("A", "u_turn", flags=["u_turn_prohibited"]), p("B", "turning_left")),
    "Q14": (N, p("A", "straight", flags=["wrong_way"]), p("B", "straight")),
    "Q15": (
        {"junction": "none", "collision": "head_on"},
        p("A", "overtaking", other_from="opposite"),
        p("B", "straight"),
    ),
    "Q17": (SIG, p("A", "turning_left", flags=["wrong_guide_lane"]), p("B", "turning_left")),
    "Q18": (N, p("A", "reversing"), p("B", "stopped")),
    "Q19": (N, p("A", "rolling"), p("B", "stopped")),
    "Q20": (N, p("A", "stopped", flags=["door_opened"]), p("B", "straight")),
    "B01": (N, p("A", "turning_left", flags=["ignored_officer"]), p("B", "turning_left")),
    "B02": (N, p("A", "straight", flags=["reserved_lane"]), p("B", "turning_left")),
    "B03": (N, p("A", "straight", flags=["prohibited_road"]), p("B", "turning_left")),
    "B04": (N, p("A", "turning_left"), p("B", "straight", flags=["emergency_on_duty"])),
    "B09": (
        UNS,
        p("A", "straight", priority="none", other_from="right"),
        p("B", "straight", priority="none"),
    ),
    "B10": (N, p("A", "entering_road"), p("B", "straight")),
    "B12": (N, p("A", "straight"), p("B", "parked", flags=["lawfully_parked"])),
    "B13": (
        {"junction": "none", "collision": "sideswipe_same_direction"},
        p("A", "overtaking", flags=["overtook_on_right"]),
        p("B", "straight"),
    ),
}


# code → (fact path, off value): one fact changed so that the row must not match.
NEAR_MISSES = [
    ("Q01", ("B", "movement", "reversing")),
    ("Q01", ("B", "movement", "changing_lane")),
    ("Q01", ("ctx", "collision", "head_on")),
    ("Q02", ("B", "movement", "turning_left")),
    ("Q02", ("ctx", "collision", "head_on")),
    ("Q03", ("B", "signal", None)),
    ("Q03", ("B", "movement", "turning_left")),
    ("Q03", ("ctx", "junction", "none")),
    ("Q04", ("B", "signal", "red")),
    ("Q04", ("A", "signal", None)),
    ("Q05", ("A", "movement", "stopped")),
    ("Q05", ("A", "signal", "yellow")),
    ("Q06", ("B", "movement", "straight")),
    ("Q07", ("B", "priority", "yield_sign")),
    ("Q07", ("B", "priority", None)),
    ("Q08", ("A", "priority", None)),
    ("Q08", ("B", "movement", "turning_right")),
    ("Q09", ("A", "other_from", None)),
    ("Q09", ("A", "other_from", "left")),
    ("Q10", ("B", "movement", "entering_roundabout")),
    ("Q11", ("A", "flags", ["u_turn_prohibited"])),
    ("Q11", ("B", "movement", "turning_left")),
    ("Q12", ("B", "movement", "straight")),
    ("Q13", ("A", "flags", [])),
    ("Q14", ("A", "flags", [])),
    ("Q15", ("A", "other_from", None)),
    ("Q15", ("A", "movement", "straight")),
    ("Q17", ("A", "flags", [])),
    ("Q18", ("A", "movement", "straight")),
    ("Q19", ("A", "movement", "stopped")),
    ("Q20", ("A", "flags", ["lawfully_parked"])),
    ("B01", ("A", "flags", [])),
    ("B02", ("A", "flags", [])),
    ("B03", ("A", "flags", [])),
    ("B04", ("A", "flags", ["emergency_on_duty"])),
    ("B04", ("B", "flags", [])),
    ("B09", ("A", "other_from", None)),
    ("B09", ("B", "priority", None)),
    ("B10", ("B", "movement", "turning_left")),
    ("B12", ("A", "movement", "stopped")),
    ("B12", ("B", "flags", ["lawfully_parked", "door_opened"])),
    ("B13", ("A", "flags", [])),
]


def near_miss(code: str, change: tuple) -> tuple[dict, dict, dict]:
    """The positive case of `code` with one fact changed (None removes it)."""
    context, a, b = (dict(x) for x in POSITIVE[code])
    who, fact, value = change
    target = {"ctx": context, "A": a, "B": b}[who]
    if value is None:
        target.pop(fact, None)
    else:
        target[fact] = value
    return context, a, b
