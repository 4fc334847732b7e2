"""The tamper-evident audit trail: chains per report, the global seal, its timestamp anchors, verification.

Chains are linked in the database at insert (migration 0042, trigger audit_chain_link) under the row of the
report's chain head, so reports never wait for each other. This module recomputes them from the stored rows
with its own implementation of the encoding, seals committed events (one sealer at a time) and anchors the
seal head with an RFC 3161 timestamp.

Event hash   h_i = SHA-256(preimage_i), preimage_i = JSON text of
             ["kuaichu-audit/1", chain, hex(h_{i-1}) | null, time (UTC, microseconds, "Z"), entity, entity_id,
              action, actor_kind, actor_id | null, changes (PostgreSQL's jsonb text), hex(commitment) | null]
Seal entry   s_k = SHA-256(["kuaichu-seal/1", k, hex(s_{k-1}) | null, [[event id, hex(h)], ...]])  (compact JSON)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import aiohttp
import asyncpg

from kernel.timestamping import Authority, openssl_verify

SEALER_LOCK_ID = 0x6B75_6169_5345_414C  # one sealer at a time, whichever worker holds it
SYSTEM_CHAIN = "system"


def _s(value: str | None) -> str:
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def _hex(value: bytes | None) -> str | None:
    return None if value is None else bytes(value).hex()


def event_preimage(row: asyncpg.Record | dict[str, Any], prev: bytes | None) -> str:
    """The canonical encoding of a stored event (row needs `changes_text`: its changes as PostgreSQL prints jsonb)."""
    at: datetime = row["at"]
    return (
        "["
        + ",".join(
            [
                '"kuaichu-audit/1"',
                _s(row["chain"]),
                _s(_hex(prev)),
                _s(at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
                _s(row["entity"]),
                _s(row["entity_id"]),
                _s(row["action"]),
                _s(row["actor_kind"]),
                _s(row["actor_id"]),
                row["changes_text"],
                _s(_hex(row["personal_commitment"])),
            ]
        )
        + "]"
    )


def seal_preimage(seq: int, prev: bytes | None, events: Iterable[tuple[int, bytes]]) -> str:
    return json.dumps(
        ["kuaichu-seal/1", seq, _hex(prev), [[i, bytes(h).hex()] for i, h in events]],
        separators=(",", ":"),
    )


def sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


# ---------------------------------------------------------------------------------------------- sealing


@dataclass(frozen=True, slots=True)
class Seal:
    seq: int
    hash: bytes
    events: int


async def seal_once(conn: asyncpg.Connection, *, limit: int = 10_000) -> Seal | None:
    """Append committed, not yet sealed events (at most `limit`) as one entry of the seal chain. The caller holds
    the sealer lock; the entry and the emptied queue commit together."""
    async with conn.transaction():
        rows = await conn.fetch(
            """WITH d AS (DELETE FROM audit_unsealed WHERE event_id IN (
                              SELECT event_id FROM audit_unsealed ORDER BY event_id LIMIT $1::int)
                          RETURNING event_id)
               SELECT e.id, e.hash FROM d JOIN audit_events e ON e.id = d.event_id ORDER BY e.id""",
            limit,
        )
        if not rows:
            return None
        head = await conn.fetchrow("SELECT seq, hash FROM audit_seal ORDER BY seq DESC LIMIT 1")
        seq, prev = (1, None) if head is None else (head["seq"] + 1, bytes(head["hash"]))
        events = [(r["id"], bytes(r["hash"])) for r in rows]
        digest = sha256(seal_preimage(seq, prev, events))
        await conn.execute(
            """INSERT INTO audit_seal (seq, prev_hash, hash, event_ids, event_hashes)
               VALUES ($1::bigint, $2::bytea, $3::bytea, $4::bigint[], $5::bytea[])""",
            seq,
            prev,
            digest,
            [i for i, _ in events],
            [h for _, h in events],
        )
    return Seal(seq, digest, len(events))


async def anchor_due(
    conn: asyncpg.Connection, *, every_s: float, every_events: int
) -> asyncpg.Record | None:
    """The seal head to anchor now: the head is newer than the last anchor, and the last anchor is older than
    `every_s` or at least `every_events` events were sealed since."""
    return await conn.fetchrow(
        """WITH last AS (SELECT max(seal_seq) AS seq, max(anchored_at) AS at FROM audit_anchors),
                head AS (SELECT seq, hash FROM audit_seal ORDER BY seq DESC LIMIT 1)
           SELECT head.seq, head.hash FROM head, last
           WHERE head.seq > coalesce(last.seq, 0)
             AND (last.at IS NULL OR last.at <= now() - make_interval(secs => $1::float8)
                  OR (SELECT sum(cardinality(event_ids)) FROM audit_seal
                      WHERE seq > coalesce(last.seq, 0)) >= $2::int)""",
        every_s,
        every_events,
    )


async def anchor(
    conn: asyncpg.Connection,
    http: aiohttp.ClientSession,
    authority: Authority,
    *,
    seq: int,
    digest: bytes,
) -> None:
    reply = await authority.stamp(http, digest)
    await conn.execute(
        """INSERT INTO audit_anchors (seal_seq, seal_hash, tsa_url, response)
           VALUES ($1::bigint, $2::bytea, $3::text, $4::bytea) ON CONFLICT (seal_seq) DO NOTHING""",
        seq,
        digest,
        authority.url,
        reply,
    )


@dataclass(frozen=True, slots=True)
class SealerRun:
    sealed: list[Seal]
    anchored: int | None  # the seal entry anchored in this run, if any


async def run_sealer(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    authority: Authority | None,
    *,
    anchor_every_s: float,
    anchor_every_events: int,
    force_anchor: bool = False,
) -> SealerRun | None:
    """One pass: seal everything committed, then anchor the head when due. None when another sealer runs."""
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1::bigint)", SEALER_LOCK_ID):
            return None
        try:
            sealed = []
            while (entry := await seal_once(conn)) is not None:
                sealed.append(entry)
            anchored = None
            if authority is not None:
                due = await anchor_due(
                    conn,
                    every_s=0 if force_anchor else anchor_every_s,
                    every_events=anchor_every_events,
                )
                if due is not None:
                    await anchor(conn, http, authority, seq=due["seq"], digest=bytes(due["hash"]))
                    anchored = due["seq"]
            return SealerRun(sealed, anchored)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1::bigint)", SEALER_LOCK_ID)


# ---------------------------------------------------------------------------------------------- verifying


@dataclass(slots=True)
class Finding:
    kind: str  # edited, deleted, inserted, reordered, unsealed, seal, anchor
    chain: str
    detail: str
    event_id: int | None = None

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "chain"
        return f"{self.kind}: {where} of {self.chain}: {self.detail}"


@dataclass(slots=True)
class Report:
    chains: int = 0
    events: int = 0
    seals: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


_EVENTS = """
SELECT id, chain, seq, prev_hash, hash, at, entity, entity_id, action, actor_kind, actor_id,
       changes::text AS changes_text, personal_commitment
FROM audit_events WHERE chain IS NOT NULL AND ($1::text IS NULL OR chain = $1::text)
ORDER BY chain, seq, id
"""


async def verify(conn: asyncpg.Connection, *, report_id: UUID | None = None) -> Report:
    """Recompute every chain (or one report's) and the seal, naming each edited, deleted, inserted or reordered
    event. Runs in one repeatable-read snapshot so writers going on meanwhile are no finding."""
    out = Report()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        chain_filter = None if report_id is None else str(report_id)
        rows = await conn.fetch(_EVENTS, chain_filter)
        heads = {
            r["chain"]: r
            for r in await conn.fetch(
                "SELECT chain, seq, hash FROM audit_chain_heads WHERE $1::text IS NULL OR chain = $1::text",
                chain_filter,
            )
        }
        pending = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM audit_unsealed")}
        seals = await conn.fetch(
            "SELECT seq, prev_hash, hash, event_ids, event_hashes FROM audit_seal ORDER BY seq"
        )
    sealed: dict[int, bytes] = {}
    prev = None
    for expected_seq, s in enumerate(seals, start=1):
        events = list(zip(s["event_ids"], [bytes(h) for h in s["event_hashes"]], strict=True))
        if (
            s["seq"] != expected_seq
            or _b(s["prev_hash"]) != prev
            or sha256(seal_preimage(s["seq"], prev, events)) != bytes(s["hash"])
        ):
            out.findings.append(
                Finding(
                    "seal",
                    "audit_seal",
                    f"seal entry {s['seq']} does not follow from the one before it",
                )
            )
        prev = bytes(s["hash"])
        sealed.update(events)
    out.seals = len(seals)
    by_chain: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for r in rows:
        by_chain[r["chain"]].append(r)
    if report_id is not None and str(report_id) not in by_chain and str(report_id) in heads:
        by_chain[str(report_id)] = []
    present: set[int] = set()
    for chain, chain_rows in by_chain.items():
        out.chains += 1
        out.events += len(chain_rows)
        present.update(e["id"] for e in chain_rows)
        out.findings.extend(_verify_chain(chain, chain_rows, heads.get(chain), sealed, pending))
    # Sealed events of the chains examined that are no longer there at all.
    missing = [i for i in sealed if i not in present]
    if missing:
        gone = await conn.fetch("SELECT id FROM audit_events WHERE id = ANY($1::bigint[])", missing)
        still = {g["id"] for g in gone}
        for i in missing:
            owner = _chain_following(sealed[i], by_chain)
            if i not in still and (report_id is None or owner is not None):
                out.findings.append(
                    Finding(
                        "deleted",
                        owner or "an unknown chain",
                        f"sealed as {sealed[i].hex()[:16]}…, no longer in audit_events",
                        i,
                    )
                )
    return out


def _chain_following(h: bytes, by_chain: dict[str, list[asyncpg.Record]]) -> str | None:
    """The chain examined whose row follows a vanished event (links to its hash), if any."""
    return next((c for c, rows in by_chain.items() for r in rows if _b(r["prev_hash"]) == h), None)


def _b(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


def _verify_chain(
    chain: str,
    rows: list[asyncpg.Record],
    head: asyncpg.Record | None,
    sealed: dict[int, bytes],
    pending: set[int],
) -> list[Finding]:
    # What each row's content hashes to, linked to its own stored prev (an edit shows here and only here).
    content = {r["id"]: sha256(event_preimage(r, _b(r["prev_hash"]))) for r in rows}
    found = [
        f
        for r in rows
        if (f := _row_finding(chain, r, content[r["id"]], sealed, pending)) is not None
    ]
    named = {f.event_id for f in found}
    # Rows that only moved or were slipped in are left out of the links; edited ones keep their place.
    linked_rows = [
        r for r in rows if not (r["id"] in named and content[r["id"]] == bytes(r["hash"]))
    ]
    found += _link_findings(chain, linked_rows, named)
    found += _head_findings(chain, rows, head, named)
    return found


def _row_finding(
    chain: str, r: asyncpg.Record, content: bytes, sealed: dict[int, bytes], pending: set[int]
) -> Finding | None:
    rid, stored = r["id"], bytes(r["hash"])
    if content != stored:
        return Finding("edited", chain, "its content no longer hashes to its stored hash", rid)
    if rid in sealed and sealed[rid] != stored:
        other = next((i for i, h in sealed.items() if h == stored), None)
        if other is not None:
            return Finding("reordered", chain, f"holds what was sealed as event {other}", rid)
        return Finding("edited", chain, "rewritten with a hash of its own since it was sealed", rid)
    if rid not in sealed and rid not in pending:
        return Finding("inserted", chain, "never sealed and not waiting to be", rid)
    return None


def _link_findings(chain: str, rows: list[asyncpg.Record], named: set[int | None]) -> list[Finding]:
    """Follow the links from each event that starts a run (no predecessor present) and compare the linked order
    with the stored one: a run starting mid-chain follows a deleted event; events whose place in the links
    differs from their stored place were reordered."""
    found: list[Finding] = []
    hashes = {bytes(r["hash"]) for r in rows}
    following = {_b(r["prev_hash"]): r for r in rows}
    linked: list[asyncpg.Record] = []
    seen: set[int] = set()
    for r in rows:
        prev = _b(r["prev_hash"])
        if r["id"] in seen or (prev is not None and prev in hashes):
            continue
        if prev is not None:
            found.append(Finding("deleted", chain, f"the event before event {r['id']} is missing"))
        elif linked:
            found.append(Finding("inserted", chain, "starts the chain a second time", r["id"]))
        node: asyncpg.Record | None = r
        while node is not None and node["id"] not in seen:
            seen.add(node["id"])
            linked.append(node)
            node = following.get(bytes(node["hash"]))
    linked += [
        r for r in rows if r["id"] not in seen
    ]  # caught in a cycle of links: no start reaches them
    return found + [
        Finding(
            "reordered",
            chain,
            f"stored where event {linked_row['id']} belongs by the links",
            stored_row["id"],
        )
        for stored_row, linked_row in zip(rows, linked, strict=True)
        if stored_row["id"] != linked_row["id"] and stored_row["id"] not in named
    ]


def _head_findings(
    chain: str, rows: list[asyncpg.Record], head: asyncpg.Record | None, named: set[int | None]
) -> list[Finding]:
    """The chain must end at its head: a shorter chain lost its last events."""
    last = rows[-1] if rows else None
    if head is None or (last is not None and bytes(last["hash"]) == _b(head["hash"])):
        return []
    if last is not None and last["id"] in named:
        return []
    if last is None or head["seq"] > last["seq"]:
        missing = head["seq"] - (last["seq"] if last else 0)
        return [
            Finding(
                "deleted",
                chain,
                f"the chain's last {missing} event(s) are missing (the head says more "
                "were written)",
            )
        ]
    return [Finding("edited", chain, "the last event is not the chain's head")]


@dataclass(slots=True)
class AnchorCheck:
    checked: int = 0
    problems: list[str] = field(default_factory=list)


async def verify_anchors(conn: asyncpg.Connection, *, ca_file: Path | None) -> AnchorCheck:
    """Each anchor's token must verify (`openssl ts -verify` against `ca_file`) for the seal entry it names."""
    out = AnchorCheck()
    rows = await conn.fetch(
        """SELECT a.seal_seq, a.seal_hash, a.response, s.hash FROM audit_anchors a
           LEFT JOIN audit_seal s ON s.seq = a.seal_seq ORDER BY a.seal_seq"""
    )
    if rows and (ca_file is None or not await asyncio.to_thread(ca_file.exists)):
        out.problems.append(
            f"{len(rows)} anchors not checked: no authority certificate to trust "
            f"({ca_file or 'KUAICHU_TSA_CA_FILE is not set'})"
        )
        return out
    for r in rows:
        if r["hash"] is None or bytes(r["hash"]) != bytes(r["seal_hash"]):
            out.problems.append(
                f"seal entry {r['seal_seq']}: missing or changed since it was anchored"
            )
            continue
        assert ca_file is not None
        complaint = await openssl_verify(
            bytes(r["response"]), bytes(r["seal_hash"]), ca_file=ca_file
        )
        if complaint:
            out.problems.append(
                f"seal entry {r['seal_seq']}: its timestamp does not verify: {complaint}"
            )
        else:
            out.checked += 1
    return out
