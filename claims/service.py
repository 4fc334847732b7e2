"""Claims use cases: open claims when liability is settled, fan disputes out, decide cover from assessments.

Each function owns its transaction; a redelivered outbox message finds its work done and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from claims import repository as repo
from claims.lifecycle import DOCUMENTS_LISTED_DAYS
from claims.lines import claim_status_of, owes_nothing, planned_lines
from claims.model import Cover, Fen, Loss, PartyCover
from claims.rules import decide_cover
from claims.webhooks import enqueue_insurer_event
from court_bridge.service import queue_update
from kernel.audit import AuditEvent, record
from kernel.crypto import Keyring
from kernel.photo_links import insurer as insurer_recipient
from kernel.photo_links import signed_photo_links

SYSTEM = ("system", "claims")


@dataclass(frozen=True, slots=True)
class ClaimsContext:
    pool: asyncpg.Pool
    keyring: Keyring
    public_base_url: str
    photo_link_ttl_s: int


def photo_links(
    ctx: ClaimsContext,
    *,
    report_id: UUID,
    photos: list[Any],
    insurer_code: str,
    now: float | None = None,
) -> list[dict]:
    """Links to the report's photos made for one insurer (checked again when used: kernel.photo_links)."""
    return signed_photo_links(
        ctx.keyring,
        ctx.public_base_url,
        report_id=report_id,
        photos=photos,
        recipient=insurer_recipient(insurer_code),
        ttl_s=ctx.photo_link_ttl_s,
        at=now,
    )


def party_covers(settled: list[dict[str, Any]]) -> list[PartyCover]:
    return [
        PartyCover(
            p["label"],
            p["insurer_code"],
            p["share_percent"],
            opted_in_mutual=bool(p.get("mutual_opt_in")),
        )
        for p in settled
    ]


def recipients(claim_insurer: str, line_insurers: list[str]) -> list[str]:
    """Who hears of a claim: the vehicle's own insurer (it assesses its insured's vehicle) and every insurer
    with a line on it."""
    return sorted({claim_insurer, *line_insurers})


async def open_lines(
    ctx: ClaimsContext,
    conn: asyncpg.Connection,
    *,
    report: asyncpg.Record,
    claim: Any,
    vehicle: asyncpg.Record,
    settled: list[dict[str, Any]],
    outcome: str,
    photos: list[Any],
    first: bool,
) -> None:
    """Give the claim a line for every insurer that could owe on it (claims.lines), audited, and tell each
    insurer concerned with `claim.opened`; its delivery is the line's receipt (claims.receipts). `first`: the
    claim itself is new, so its own insurer hears of it too."""
    report_id, claim_id = report["id"], claim["id"]
    added = await repo.insert_lines(
        conn, claim_id=claim_id, plans=planned_lines(party_covers(settled), claim["label"])
    )
    for ln in added:
        await record(
            conn,
            AuditEvent(
                "claim",
                str(claim_id),
                "line_opened",
                SYSTEM,
                report_id,
                {
                    "line_id": {"before": None, "after": str(ln["id"])},
                    "insurer_code": {"before": None, "after": ln["insurer_code"]},
                    "basis": {"before": None, "after": ln["basis"]},
                },
            ),
        )
    calendar = await repo.holiday_calendar(conn)
    data = {
        "claim_id": str(claim_id),
        "report_id": str(report_id),
        "outcome": outcome,
        "occurred_at": report["occurred_at"],
        "zone_id": report["zone_id"],
        "vehicle_label": claim["label"],
        "party_id": str(claim["party_id"]),
        "plate": vehicle["plate"],
        "policy_number": ctx.keyring.decrypt_or(
            vehicle["policy_number_enc"], vehicle["policy_number"]
        ),
        "claim_insurer_code": claim["insurer_code"],
        "liability": settled,
        "documents_due_at": calendar.due(claim["applied_at"], DOCUMENTS_LISTED_DAYS).at,
    }
    new_lines = {ln["insurer_code"]: ln for ln in added}
    to = recipients(claim["insurer_code"], list(new_lines)) if first else sorted(new_lines)
    for insurer in to:
        ln = new_lines.get(insurer)
        line = (
            None
            if ln is None
            else {
                "line_id": str(ln["id"]),
                "insurer_code": insurer,
                "basis": ln["basis"],
                "payer_labels": list(ln["payer_labels"]),
            }
        )
        role = "claim_insurer" if insurer == claim["insurer_code"] else "liable_party_insurer"
        await enqueue_insurer_event(
            conn,
            insurer_code=insurer,
            event_type="claim.opened",
            report_id=report_id,
            data={
                **data,
                "role": role,
                "line": line,
                "photos": photo_links(
                    ctx, report_id=report_id, photos=photos, insurer_code=insurer
                ),
            },
            occurred_at=claim["applied_at"],
            keyring=ctx.keyring,
            dedupe_key=str(claim_id) if first else f"{claim_id}:line:{ln['id']}",
            receipt_of_line=None if ln is None else ln["id"],
        )


async def on_report_settled(ctx: ClaimsContext, *, payload: dict[str, Any]) -> list[UUID]:
    """Open one claim per vehicle (once) with its lines, tell each insurer concerned, and on a new version open
    the lines it adds and re-decide cover."""
    report_id = UUID(payload["report_id"])
    opt_ins = payload.get("mutual_self_compensation") or {}
    async with ctx.pool.acquire() as conn, conn.transaction():
        report = await repo.report(conn, report_id=report_id)
        if report is None:
            raise LookupError(f"report {report_id} does not exist")
        shares = {p["label"]: p for p in payload["parties"]}
        parties = await repo.parties(conn, report_id=report_id)
        settled = [
            {
                "label": p["label"],
                "party_id": str(p["id"]),
                "insurer_code": p["insurer_code"],
                "share_percent": int(shares[p["label"]]["share_percent"]),
                "liability": shares[p["label"]]["liability"],
                "mutual_opt_in": bool(opt_ins.get(p["label"])),
            }
            for p in parties
            if p["label"] in shares
        ]
        changed = await repo.save_settlement(
            conn,
            report_id=report_id,
            version=int(payload.get("version", 1)),
            outcome=payload["outcome"],
            parties=settled,
            accident_day=report["accident_day"],
        )
        by_label = {p["label"]: p for p in parties}
        opened = await repo.open_claims(
            conn,
            report_id=report_id,
            rows=[
                (uuid.uuid4(), UUID(p["party_id"]), p["label"], p["insurer_code"]) for p in settled
            ],
        )
        photos = await repo.photos(conn, report_id=report_id)
        new_ids = {c["id"] for c in opened}
        for c in opened:
            await record(
                conn,
                AuditEvent(
                    "claim",
                    str(c["id"]),
                    "opened",
                    SYSTEM,
                    report_id,
                    {
                        "status": {"before": None, "after": "opened"},
                        "insurer_code": {"before": None, "after": c["insurer_code"]},
                    },
                ),
            )
            await queue_update(
                conn,
                report_id=report_id,
                type="claim_status",
                occurred_at=c["applied_at"],
                key=f"claim:{c['id']}:opened",
                data={
                    "claim_id": str(c["id"]),
                    "vehicle_label": c["label"],
                    "insurer_code": c["insurer_code"],
                    "status": "opened",
                    "previous_status": None,
                },
            )
        if changed or opened:
            for c in await repo.claims_of_report(conn, report_id=report_id):
                if c["status"] == "withdrawn" or c["label"] not in shares:
                    continue
                await open_lines(
                    ctx,
                    conn,
                    report=report,
                    claim=c,
                    vehicle=by_label[c["label"]],
                    settled=settled,
                    outcome=payload["outcome"],
                    photos=photos,
                    first=c["id"] in new_ids,
                )
        if changed:
            await redecide(conn, report_id=report_id)
    return [c["id"] for c in opened]


async def on_report_disputed(
    ctx: ClaimsContext, *, payload: dict[str, Any], occurred_at: datetime
) -> int:
    """A disputed proposal or determination: every insurer of the report's parties hears of it, once."""
    report_id = UUID(payload["report_id"])
    label = payload.get("disputed_by") or payload.get("party_label") or ""
    data = {
        "report_id": str(report_id),
        "party_label": label,
        "reason": payload.get("reason") or "",
    }
    key = f"{report_id}:{payload.get('stage', '')}-{payload.get('version', '')}:{label}"
    sent = 0
    async with ctx.pool.acquire() as conn, conn.transaction():
        for code in sorted(
            {p["insurer_code"] for p in await repo.parties(conn, report_id=report_id)}
        ):
            sent += (
                await enqueue_insurer_event(
                    conn,
                    insurer_code=code,
                    event_type="report.disputed",
                    data=data,
                    occurred_at=occurred_at,
                    report_id=report_id,
                    dedupe_key=key,
                )
                is not None
            )
    return sent


def _cover_json(cover: Cover) -> dict[str, Any]:
    return {
        "mode": cover.mode.value,
        "limits_version": cover.limits_version,
        "basis": list(cover.basis),
        "payments": [
            {
                "payee": p.payee,
                "payer": p.payer,
                "insurer_code": p.insurer_code,
                "source": p.source.value,
                "amount_fen": int(p.amount_fen),
            }
            for p in cover.payments
        ],
    }


def cover_by_claim(
    settled: asyncpg.Record | None, claims: list[asyncpg.Record]
) -> dict[UUID, dict[str, Any]]:
    """Each claim's cover as today's rules decide it (its own payments), once every claim is assessed."""
    if settled is None or not claims or any(c["assessed_fen"] is None for c in claims):
        return {}
    parties = party_covers(settled["parties"])
    losses = [Loss(c["label"], Fen(c["assessed_fen"]), bool(c["vehicle_only"])) for c in claims]
    cover = decide_cover(parties=parties, losses=losses, accident_day=settled["accident_day"])
    decided = {}
    for c in claims:
        mine = _cover_json(cover)
        mine["payments"] = [p for p in mine["payments"] if p["payee"] == c["label"]]
        decided[c["id"]] = mine
    return decided


async def redecide(
    conn: asyncpg.Connection, *, report_id: UUID, now: datetime | None = None
) -> bool:
    """Decide the report's cover once every claim is assessed; again whenever the result changes. A line that
    owes nothing under it closes as not_owing (its open duties end; a breached one stays breached), and one
    closed so reopens if a revised cover makes it owe."""
    now = now or datetime.now(UTC)
    claims = await repo.claims_of_report(conn, report_id=report_id)
    decided = cover_by_claim(await repo.settlement(conn, report_id=report_id), claims)
    lines = await repo.lines_of_claims(conn, claim_ids=[c["id"] for c in claims])
    changed = False
    for c in claims:
        mine = [ln for ln in lines if ln["id"] == c["id"]]
        if c["id"] not in decided or any(ln["paid_fen"] is not None for ln in mine):
            continue  # a claim with a payment keeps the cover it was paid on
        cover = decided[c["id"]]
        if c["cover"] != cover:
            changed = True
            revision = c["cover_revision"] + 1
            await repo.update_claim(
                conn, claim_id=c["id"], fields={"cover": cover, "cover_revision": revision}
            )
            await record(
                conn,
                AuditEvent(
                    "claim",
                    str(c["id"]),
                    "cover_decided",
                    SYSTEM,
                    report_id,
                    {"cover": {"before": c["cover"], "after": cover}},
                ),
            )
            data = {
                "claim_id": str(c["id"]),
                "report_id": str(report_id),
                "revision": revision,
                "assessed_fen": c["assessed_fen"],
                **cover,
            }
            for insurer in recipients(c["insurer_code"], [ln["insurer_code"] for ln in mine]):
                await enqueue_insurer_event(
                    conn,
                    insurer_code=insurer,
                    event_type="claim.cover_decided",
                    data=data,
                    occurred_at=now,
                    report_id=report_id,
                    dedupe_key=f"{c['id']}:{revision}",
                )
        else:
            revision = c["cover_revision"]
        for ln in mine:
            await settle_line(conn, ln, cover=cover, revision=revision, now=now)
        await sync_status(conn, claim_id=c["id"])
    return changed


# A line closes as not_owing only before a payout is agreed: an agreement made is kept (a person looks at it).
BEFORE_PAYOUT = frozenset({"opened", "documents_requested", "documents_complete", "decided"})


async def settle_line(
    conn: asyncpg.Connection,
    ln: asyncpg.Record,
    *,
    cover: dict[str, Any],
    revision: int,
    now: datetime,
) -> None:
    """Close a line that owes nothing as not_owing, or reopen one closed so that owes again."""
    base = {
        "claim_id": str(ln["id"]),
        "report_id": str(ln["report_id"]),
        "line_id": str(ln["line_id"]),
        "insurer_code": ln["insurer_code"],
        "cover_revision": revision,
    }
    key = f"{ln['line_id']}:{revision}"
    if ln["status"] in BEFORE_PAYOUT and owes_nothing(cover, ln["insurer_code"]):
        await repo.update_line(
            conn,
            line_id=ln["line_id"],
            fields={"status": "not_owing", "status_before_close": ln["status"], "closed_at": now},
        )
        await record(
            conn,
            AuditEvent(
                "claim",
                str(ln["id"]),
                "line_not_owing",
                SYSTEM,
                ln["report_id"],
                {
                    "line_id": {"before": None, "after": str(ln["line_id"])},
                    "status": {"before": ln["status"], "after": "not_owing"},
                },
            ),
        )
        await enqueue_insurer_event(
            conn,
            insurer_code=ln["insurer_code"],
            event_type="claim.line_closed",
            data={**base, "outcome": "not_owing"},
            occurred_at=now,
            report_id=ln["report_id"],
            dedupe_key=key,
        )
    elif ln["status"] == "not_owing" and not owes_nothing(cover, ln["insurer_code"]):
        back = ln["status_before_close"] or "opened"
        await repo.update_line(
            conn, line_id=ln["line_id"], fields={"status": back, "closed_at": None}
        )
        await record(
            conn,
            AuditEvent(
                "claim",
                str(ln["id"]),
                "line_reopened",
                SYSTEM,
                ln["report_id"],
                {
                    "line_id": {"before": None, "after": str(ln["line_id"])},
                    "status": {"before": "not_owing", "after": back},
                },
            ),
        )
        await enqueue_insurer_event(
            conn,
            insurer_code=ln["insurer_code"],
            event_type="claim.line_reopened",
            data={**base, "status": back},
            occurred_at=now,
            report_id=ln["report_id"],
            dedupe_key=key,
        )


async def sync_status(conn: asyncpg.Connection, *, claim_id: UUID) -> None:
    """The claim's status summed up from its lines (claims.lines.claim_status_of)."""
    statuses = await repo.line_statuses(conn, claim_id=claim_id)
    if statuses:
        await repo.sync_claim_status(conn, claim_id=claim_id, status=claim_status_of(statuses))
