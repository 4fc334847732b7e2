"""Validate outlets.json, adjusters.json and coordinators.json against the zones and insurers of the same
directory; pure. Rows are named by index and id, like the zones and insurers files."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from geo.errors import MAX_PROBLEMS, ReferenceFileError
from geo.model import AdjusterIn, CoordinatorIn, OutletIn

OUTLETS_FILE = "outlets.json"
ADJUSTERS_FILE = "adjusters.json"
COORDINATORS_FILE = "coordinators.json"

R = TypeVar("R", bound=BaseModel)


def parse_outlets(doc: Any, *, insurers: Iterable[str]) -> tuple[OutletIn, ...]:
    """Outlets: each names an insurer of insurers.json."""
    known = set(insurers)
    return _rows(doc, OUTLETS_FILE, OutletIn, lambda o: _insurer(o.insurer_code, known))


def parse_adjusters(doc: Any, *, insurers: Iterable[str]) -> tuple[AdjusterIn, ...]:
    """Adjusters: each works for an insurer of insurers.json."""
    known = set(insurers)
    return _rows(doc, ADJUSTERS_FILE, AdjusterIn, lambda a: _insurer(a.insurer_code, known))


def parse_coordinators(doc: Any, *, zones: Mapping[str, str]) -> tuple[CoordinatorIn, ...]:
    """Coordinators: every zone served is a rural zone of zones.geojson, listed once."""

    def check(c: CoordinatorIn) -> list[str]:
        out = []
        for z in sorted(set(c.zones)):
            if z not in zones:
                out.append(f"未知区域 / unknown zone {z!r} (not in zones.geojson)")
            elif zones[z] != "rural":
                out.append(
                    f"区域 {z!r} 不是农村区域 / zone {z!r} is {zones[z]}; coordinators serve rural zones"
                )
        if len(set(c.zones)) != len(c.zones):
            out.append("区域重复 / a zone is listed twice")
        return out

    return _rows(doc, COORDINATORS_FILE, CoordinatorIn, check)


def check_usernames(adjusters: Iterable[AdjusterIn], coordinators: Iterable[CoordinatorIn]) -> None:
    """One staff account is one adjuster or one coordinator: a username used twice is refused."""
    seen: dict[str, str] = {}
    groups: tuple[tuple[str, list[AdjusterIn | CoordinatorIn]], ...] = (
        (ADJUSTERS_FILE, list(adjusters)),
        (COORDINATORS_FILE, list(coordinators)),
    )
    for file, rows in groups:
        problems = []
        for i, row in enumerate(rows):
            here = f"{file} [{i}]"
            if row.username in seen:
                problems.append(
                    (
                        f"[{i}] (id={row.id!r})",
                        f"用户名重复 / username {row.username!r} already used at {seen[row.username]}",
                    )
                )
            seen.setdefault(row.username, here)
        if problems:
            raise ReferenceFileError(file=file, problems=problems)


def _insurer(code: str, known: set[str]) -> list[str]:
    return (
        [] if code in known else [f"未知保险公司 / unknown insurer {code!r} (not in insurers.json)"]
    )


def _rows(doc: Any, file: str, model: type[R], check: Callable[[R], list[str]]) -> tuple[R, ...]:
    if not isinstance(doc, list):
        raise ReferenceFileError(
            file=file, problems=[("top level", "应为 JSON 数组 / expected a JSON list")]
        )
    problems: list[tuple[str, str]] = []
    rows: list[R] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(doc):
        rid = raw.get("id") if isinstance(raw, dict) else None
        where = f"[{i}] (id={rid!r})"
        try:
            row = model.model_validate(raw)
        except ValidationError as exc:
            problems.append((where, validation_reason(exc)))
        else:
            rows.append(row)
            problems += [(where, reason) for reason in check(row)]
        if isinstance(rid, str):
            if rid in seen:
                problems.append((where, f"重复的 id / duplicate id, first at [{seen[rid]}]"))
            seen.setdefault(rid, i)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise ReferenceFileError(file=file, problems=problems)
    return tuple(rows)


def validation_reason(exc: ValidationError) -> str:
    """A pydantic error as one line naming each bad field."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(row)"
        parts.append(f"field {loc}: {err['msg']}")
    return "; ".join(parts)
