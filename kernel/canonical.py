"""Canonical JSON and its digest: the bytes that are hashed, sealed and served wherever a digest must be
reproducible (the agreement, court packages and updates, rule template sets, reference data)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def canonical_text(content: Mapping[str, Any] | list[Any]) -> str:
    """Sorted keys, no insignificant whitespace, characters as they are (not \\u escapes)."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_json(content: Mapping[str, Any] | list[Any]) -> bytes:
    """The UTF-8 bytes of `canonical_text`."""
    return canonical_text(content).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
