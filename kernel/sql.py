"""Statements with named parameters: `:name` (or `:part.name` for a field of a nested structure) in the SQL,
bound by name to a frozen dataclass, never by position in a long list.

`named(sql, Params)` numbers the names in order of first appearance (`$1`, `$2`, … as asyncpg wants them) and
refuses, when the module is imported, a name the structure lacks or a field the statement never uses. A name
is a colon followed by a letter, not preceded by a colon or a word character, so casts (`$1::uuid`,
`x::text`) are left alone; do not write `:word` inside a string literal of such a statement.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

P = TypeVar("P")
_NAME = re.compile(r"(?<![:\w]):([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)")


def _paths(cls: type, prefix: str = "") -> list[str]:
    """Every leaf field of a dataclass, nested dataclasses as `part.name`."""
    out: list[str] = []
    for f in dataclasses.fields(cls):
        kind = f.metadata.get("nested")
        if kind is not None:
            out += _paths(kind, f"{prefix}{f.name}.")
        else:
            out.append(prefix + f.name)
    return out


def nested(cls: type) -> dict[str, type]:
    """Field metadata of a field holding another parameter structure, whose fields the statement names as
    `:field.name`: `party: NewParty = dataclasses.field(metadata=nested(NewParty))`."""
    return {"nested": cls}


@dataclass(frozen=True, slots=True)
class Named(Generic[P]):
    """A statement with `$n` placeholders and the parameter path each number stands for."""

    sql: str
    names: tuple[str, ...]

    def args(self, params: P) -> tuple[Any, ...]:
        values = []
        for name in self.names:
            value: Any = params
            for part in name.split("."):
                value = getattr(value, part)
            values.append(value)
        return tuple(values)


def named(sql: str, params: type[P]) -> Named[P]:
    order: list[str] = []

    def number(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    text = _NAME.sub(number, sql)
    fields = _paths(params)
    unknown = [n for n in order if n not in fields]
    unused = [f for f in fields if f not in order]
    if unknown or unused:
        raise ValueError(
            f"statement and {params.__name__} disagree: names without a field {unknown}, "
            f"fields the statement does not use {unused}"
        )
    return Named(text, tuple(order))
