"""Services: the resources a process builds once at start-up and hands to handlers and workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from kernel.crypto import Keyring
from kuaichu.settings import Settings


@dataclass
class Services:
    settings: Settings
    pool: asyncpg.Pool
    keyring: Keyring
    # Filled in by the features that need them (photo store, zone index, fault templates, SMS sender ...).
    extras: dict[str, Any] = field(default_factory=dict)
