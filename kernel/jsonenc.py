"""The one JSON encoding of answers: what is sent, and what is stored to be sent again on a retry."""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z  # "Z" for UTC, as pydantic writes datetimes


def dumps(value: Any) -> bytes:
    """JSON bytes of plain data (dicts, lists, datetimes, UUIDs); other objects as their str()."""
    return orjson.dumps(value, default=str, option=_OPTIONS)


def canonical(value: Any) -> bytes:
    """One byte string per value, for hashing and commitments: keys sorted, no spaces, UTF-8."""
    return orjson.dumps(value, default=str, option=_OPTIONS | orjson.OPT_SORT_KEYS)
