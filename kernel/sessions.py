"""Bearer tokens to principals: party tokens, phone sessions, staff and insurer credentials (stored as hashes)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from kernel.identity import (
    InsurerPrincipal,
    PartyPrincipal,
    PhonePrincipal,
    Principal,
    StaffPrincipal,
)

PARTY_PREFIX = "kp"
PHONE_PREFIX = "ks"
STAFF_PREFIX = "kst"
STAFF_SESSION_PREFIX = "kss"
INSURER_PREFIX = "kin"

# A staff member's signed-in session ends after this long without a request (its absolute end is in the row).
STAFF_IDLE_S = 30 * 60


async def principal_for(
    conn: asyncpg.Connection,
    *,
    token: str,
    token_hash: bytes,
    party_retention_s: float,
    staff_idle_s: float = STAFF_IDLE_S,
) -> Principal | None:
    """Resolve a token by its prefix; None when unknown, revoked, expired or inactive.

    A party token also ends `party_retention_s` seconds after its report finished (reports.finished_at). A
    second party's session on another's phone ends with the session of that device. A staff session ends
    `staff_idle_s` after its last request, at its absolute end, when revoked, or when the account is
    deactivated; each lookup counts as a request.
    """
    prefix = token.split("_", 1)[0]
    if prefix == PARTY_PREFIX:
        row = await conn.fetchrow(
            """SELECT t.report_id, t.party_id FROM party_tokens t JOIN reports r ON r.id = t.report_id
               WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL
                 AND (r.finished_at IS NULL OR r.finished_at > now() - make_interval(secs => $2::float8))""",
            token_hash,
            party_retention_s,
        )
        return PartyPrincipal(row["report_id"], row["party_id"]) if row else None
    if prefix == PHONE_PREFIX:
        row = await conn.fetchrow(
            """SELECT s.id, s.phone_hash, h.phone_hash AS host_phone_hash
               FROM phone_sessions s LEFT JOIN phone_sessions h ON h.id = s.host_session_id
               WHERE s.token_hash = $1::bytea AND s.expires_at > now() AND s.revoked_at IS NULL
                 AND (s.host_session_id IS NULL OR (h.expires_at > now() AND h.revoked_at IS NULL))""",
            token_hash,
        )
        if row is None:
            return None
        host = row["host_phone_hash"]
        return PhonePrincipal(
            bytes(row["phone_hash"]), row["id"], bytes(host) if host is not None else None
        )
    if prefix == STAFF_PREFIX:
        row = await conn.fetchrow(
            """SELECT id, username, role, insurer_code, jurisdiction FROM staff
               WHERE token_hash = $1::bytea AND active""",
            token_hash,
        )
        return _staff(row) if row else None
    if prefix == STAFF_SESSION_PREFIX:
        row = await conn.fetchrow(
            """UPDATE staff_sessions ss SET last_seen_at = now()
               FROM staff st
               WHERE ss.token_hash = $1::bytea AND st.id = ss.staff_id AND st.active AND ss.revoked_at IS NULL
                 AND ss.expires_at > now() AND ss.last_seen_at > now() - make_interval(secs => $2::float8)
               RETURNING st.id, st.username, st.role, st.insurer_code, st.jurisdiction, ss.id AS session_id""",
            token_hash,
            staff_idle_s,
        )
        return _staff(row, session_id=row["session_id"]) if row else None
    if prefix == INSURER_PREFIX:
        row = await conn.fetchrow(
            "SELECT id, insurer_code FROM insurer_credentials WHERE token_hash = $1::bytea AND revoked_at IS NULL",
            token_hash,
        )
        return InsurerPrincipal(row["insurer_code"], row["id"]) if row else None
    return None


def _staff(row: asyncpg.Record, *, session_id: UUID | None = None) -> StaffPrincipal:
    zones = row["jurisdiction"]
    return StaffPrincipal(
        row["id"],
        row["username"],
        row["role"],
        row["insurer_code"],
        tuple(zones) if zones is not None else None,
        session_id,
    )
