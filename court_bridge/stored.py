"""A package at rest: the parties' personal data encrypted in place, everything else readable by operators.

Canonical JSON is deterministic, so opening the stored form and serialising it gives the same bytes on every
attempt, and the stored digest still checks.
"""

from __future__ import annotations

import base64
from typing import Any

from court_bridge.package import canonical_copy, package_bytes
from kernel.crypto import Keyring

PERSONAL = ("name", "id_number", "phone")


def to_store(body: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """The package with each party's name, ID/licence number and phone replaced by {"enc": <Keyring.encrypt blob>}."""
    out = canonical_copy(body)
    for party in out["parties"]:
        driver = party["driver"]
        for key in PERSONAL:
            driver[key] = {"enc": base64.b64encode(keyring.encrypt(driver[key])).decode()}
    return out


def from_store(stored: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """The package as sent, personal data decrypted."""
    out = canonical_copy(stored)
    for party in out["parties"]:
        driver = party["driver"]
        for key in PERSONAL:
            if isinstance(driver[key], dict):
                driver[key] = keyring.decrypt(base64.b64decode(driver[key]["enc"]))
    return out


def seal_bytes(body: dict[str, Any], keyring: Keyring) -> bytes:
    """The exact bytes to POST, encrypted: an attempt decrypts once instead of rebuilding the JSON."""
    return keyring.encrypt(package_bytes(body).decode())


def open_bytes(sealed: bytes, keyring: Keyring) -> bytes:
    return keyring.decrypt(sealed).encode()


def masked(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored package for a screen: personal data shown as withheld, never decrypted."""
    out = canonical_copy(stored)
    for party in out["parties"]:
        for key in PERSONAL:
            party["driver"][key] = "<encrypted>"
    return out
