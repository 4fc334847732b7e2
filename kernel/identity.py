"""Who is acting: a party of one report, a driver logged in by phone, a staff member, or the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

StaffRole = Literal["police", "adjuster", "coordinator", "court", "admin", "supervisor"]


@dataclass(frozen=True, slots=True)
class PartyPrincipal:
    """Holder of a party token: one party of one report."""

    report_id: UUID
    party_id: UUID

    @property
    def actor(self) -> tuple[str, str]:
        return "party", str(self.party_id)


@dataclass(frozen=True, slots=True)
class PhonePrincipal:
    """A driver who proved a phone number by one-time code; reaches every report it is party to."""

    phone_hash: bytes
    session_id: UUID
    # Set for a second party confirming on another party's phone: the phone of the session that device is
    # signed in with. Such a session reaches only the reports both phones are party to.
    host_phone_hash: bytes | None = None

    @property
    def actor(self) -> tuple[str, str]:
        return "party", f"phone-session:{self.session_id}"


@dataclass(frozen=True, slots=True)
class StaffPrincipal:
    staff_id: UUID
    username: str
    role: StaffRole
    insurer_code: str | None
    # The zones (counties) a police or supervisor account covers; None: none set (an admin reaches all).
    jurisdiction: tuple[str, ...] | None = None
    # The signed-in session acting, when the account acts through one (a system client's token: None).
    session_id: UUID | None = None

    @property
    def actor(self) -> tuple[str, str]:
        return "staff", str(self.staff_id)


@dataclass(frozen=True, slots=True)
class InsurerPrincipal:
    """An insurer's own system, by a per-insurer credential: reaches only that insurer's claims."""

    insurer_code: str
    credential_id: UUID

    @property
    def actor(self) -> tuple[str, str]:
        return "insurer", self.insurer_code


@dataclass(frozen=True, slots=True)
class SystemPrincipal:
    name: str = "system"

    @property
    def actor(self) -> tuple[str, str]:
        return "system", self.name


Principal = PartyPrincipal | PhonePrincipal | StaffPrincipal | InsurerPrincipal | SystemPrincipal
