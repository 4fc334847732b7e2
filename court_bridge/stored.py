"""A package at rest: the parties' personal data encrypted in place, everything else readable by operators.

Encrypted in place: each party's name, ID/licence number, phone and policy number, and the accident address.
Packages stored before the policy number and the address were covered keep them in clear; `from_store` reads
both forms.

Canonical JSON is deterministic, so opening the stored form and serialising it gives the same bytes on every
attempt, and the stored digest still checks.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

from court_bridge.package import canonical_copy, package_bytes
from kernel.crypto import Keyring

PERSONAL = ("name", "id_number", "phone")


def _personal(body: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """(object, member) of every personal value in a package."""
    for party in body["parties"]:
        for key in PERSONAL:
            yield party["driver"], key
        yield party["insurance"], "policy_number"
    yield body["accident"]["place"], "address"


def _each(body: dict[str, Any], change: Callable[[Any], Any]) -> dict[str, Any]:
    out = canonical_copy(body)
    for holder, key in _personal(out):
        holder[key] = change(holder[key])
    return out


def to_store(body: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """The package with each personal value replaced by {"enc": <Keyring.encrypt blob>}."""
    return _each(body, lambda v: {"enc": base64.b64encode(keyring.encrypt(v)).decode()})


def from_store(stored: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """The package as sent, personal data decrypted."""
    return _each(
        stored, lambda v: keyring.decrypt(base64.b64decode(v["enc"])) if isinstance(v, dict) else v
    )


def seal_bytes(body: dict[str, Any], keyring: Keyring) -> bytes:
    """The exact bytes to POST, encrypted: an attempt decrypts once instead of rebuilding the JSON."""
    return keyring.encrypt(package_bytes(body).decode())


def open_bytes(sealed: bytes, keyring: Keyring) -> bytes:
    return keyring.decrypt(sealed).encode()


def masked(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored package for a screen: personal data shown as withheld, never decrypted."""
    return _each(stored, lambda _v: "<encrypted>")
