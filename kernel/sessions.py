"""Bearer tokens to principals: party tokens, phone sessions, staff and insurer credentials (stored as hashes)."""

from __future__ import annotations

import asyncpg

from kernel.identity import InsurerPrincipal, PartyPrincipal, PhonePrincipal, Principal, StaffPrincipal

PARTY_PREFIX = "kp"
PHONE_PREFIX = "ks"
STAFF_PREFIX = "kst"
INSURER_PREFIX = "kin"


async def principal_for(
    conn: asyncpg.Connection, *, token: str, token_hash: bytes, party_retention_s: float
) -> Principal | None:
    """Resolve a token by its prefix; None when unknown, revoked, expired or inactive.

    A party token also ends `party_retention_s` seconds after its report finished (reports.finished_at).
    """
    prefix = token.split("_", 1)[0]
    if prefix == PARTY_PREFIX:
        row = await conn.fetchrow(
            """SELECT t.report_id, t.party_id FROM party_tokens t JOIN reports r ON r.id = t.report_id
               WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL
                 AND (r.finished_at IS NULL OR r.finished_at > now() - make_interval(secs => $2::float8))""",
            token_hash, party_retention_s,
        )
        return PartyPrincipal(row["report_id"], row["party_id"]) if row else None
    if prefix == PHONE_PREFIX:
        row = await conn.fetchrow(
            """SELECT id, phone_hash FROM phone_sessions
               WHERE token_hash = $1::bytea AND expires_at > now() AND revoked_at IS NULL""",
            token_hash,
        )
        return PhonePrincipal(bytes(row["phone_hash"]), row["id"]) if row else None
    if prefix == STAFF_PREFIX:
        row = await conn.fetchrow(
            "SELECT id, username, role, insurer_code FROM staff WHERE token_hash = $1::bytea AND active",
            token_hash,
        )
        return StaffPrincipal(row["id"], row["username"], row["role"], row["insurer_code"]) if row else None
    if prefix == INSURER_PREFIX:
        row = await conn.fetchrow(
            "SELECT id, insurer_code FROM insurer_credentials WHERE token_hash = $1::bytea AND revoked_at IS NULL",
            token_hash,
        )
        return InsurerPrincipal(row["insurer_code"], row["id"]) if row else None
    return None
