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


def photo_links(ctx: ClaimsContext, *, report_id: UUID, photos: list[Any], insurer_code: str,
                now: float | None = None) -> list[dict]:
    """Links to the report's photos made for one insurer (checked again when used: kernel.photo_links)."""
    return signed_photo_links(ctx.keyring, ctx.public_base_url, report_id=report_id, photos=photos,
                              recipient=insurer_recipient(insurer_code), ttl_s=ctx.photo_link_ttl_s, at=now)


def concerned(claim_insurer: str, settled: list[dict[str, Any]], label: str) -> dict[str, str]:
    """Insurer → role for one claim: the vehicle's own insurer, and every other liable party's insurer."""
    out = {claim_insurer: "claim_insurer"}
    for p in settled:
        if p["label"] != label and p["share_percent"] > 0 and p["insurer_code"]:
            out.setdefault(p["insurer_code"], "liable_party_insurer")
    return out


async def on_report_settled(ctx: ClaimsContext, *, payload: dict[str, Any]) -> list[UUID]:
    """Open one claim per vehicle (once), tell each insurer concerned, and re-decide cover on a new version."""
    report_id = UUID(payload["report_id"])
    opt_ins = payload.get("mutual_self_compensation") or {}
    async with ctx.pool.acquire() as conn, conn.transaction():
        report = await repo.report(conn, report_id=report_id)
        if report is None:
            raise LookupError(f"report {report_id} does not exist")
        shares = {p["label"]: p for p in payload["parties"]}
        parties = await repo.parties(conn, report_id=report_id)
        settled = [{"label": p["label"], "party_id": str(p["id"]), "insurer_code": p["insurer_code"],
                    "share_percent": int(shares[p["label"]]["share_percent"]),
                    "liability": shares[p["label"]]["liability"], "mutual_opt_in": bool(opt_ins.get(p["label"]))}
                   for p in parties if p["label"] in shares]
        changed = await repo.save_settlement(conn, report_id=report_id, version=int(payload.get("version", 1)),
                                             outcome=payload["outcome"], parties=settled,
                                             accident_day=report["accident_day"])
        by_label = {p["label"]: p for p in parties}
        opened = await repo.open_claims(conn, report_id=report_id, rows=[
            (uuid.uuid4(), UUID(p["party_id"]), p["label"], p["insurer_code"]) for p in settled])
        photos = await repo.photos(conn, report_id=report_id)
        calendar = await repo.holiday_calendar(conn)
        for c in opened:
            await record(conn, AuditEvent("claim", str(c["id"]), "opened", SYSTEM, report_id, {
                "status": {"before": None, "after": "opened"},
                "insurer_code": {"before": None, "after": c["insurer_code"]}}))
            await queue_update(conn, report_id=report_id, type="claim_status", occurred_at=c["applied_at"],
                               key=f"claim:{c['id']}:opened", data={
                                   "claim_id": str(c["id"]), "vehicle_label": c["label"],
                                   "insurer_code": c["insurer_code"], "status": "opened", "previous_status": None})
            vehicle = by_label[c["label"]]
            data = {"claim_id": str(c["id"]), "report_id": str(report_id), "outcome": payload["outcome"],
                    "occurred_at": report["occurred_at"], "zone_id": report["zone_id"], "vehicle_label": c["label"],
                    "party_id": str(c["party_id"]), "plate": vehicle["plate"],
                    "policy_number": ctx.keyring.decrypt_or(vehicle["policy_number_enc"], vehicle["policy_number"]),
                    "claim_insurer_code": c["insurer_code"],
                    "liability": settled,
                    "documents_due_at": calendar.due(c["applied_at"], DOCUMENTS_LISTED_DAYS).at}
            for insurer, role in concerned(c["insurer_code"], settled, c["label"]).items():
                await enqueue_insurer_event(conn, insurer_code=insurer, event_type="claim.opened", report_id=report_id,
                                            data={**data, "role": role, "photos": photo_links(
                                                ctx, report_id=report_id, photos=photos, insurer_code=insurer)},
                                            occurred_at=c["applied_at"],
                                            dedupe_key=f"{c['id']}", keyring=ctx.keyring)
        if changed:
            await redecide(conn, report_id=report_id)
    return [c["id"] for c in opened]


async def on_report_disputed(ctx: ClaimsContext, *, payload: dict[str, Any], occurred_at: datetime) -> int:
    """A disputed proposal or determination: every insurer of the report's parties hears of it, once."""
    report_id = UUID(payload["report_id"])
    label = payload.get("disputed_by") or payload.get("party_label") or ""
    data = {"report_id": str(report_id), "party_label": label, "reason": payload.get("reason") or ""}
    key = f"{report_id}:{payload.get('stage', '')}-{payload.get('version', '')}:{label}"
    sent = 0
    async with ctx.pool.acquire() as conn, conn.transaction():
        for code in sorted({p["insurer_code"] for p in await repo.parties(conn, report_id=report_id)}):
            sent += await enqueue_insurer_event(conn, insurer_code=code, event_type="report.disputed", data=data,
                                                occurred_at=occurred_at, report_id=report_id,
                                                dedupe_key=key) is not None
    return sent


def _cover_json(cover: Cover) -> dict[str, Any]:
    return {"mode": cover.mode.value, "limits_version": cover.limits_version, "basis": list(cover.basis),
            "payments": [{"payee": p.payee, "payer": p.payer, "insurer_code": p.insurer_code,
                          "source": p.source.value, "amount_fen": int(p.amount_fen)} for p in cover.payments]}


def cover_by_claim(settled: asyncpg.Record | None, claims: list[asyncpg.Record]) -> dict[UUID, dict[str, Any]]:
    """Each claim's cover as today's rules decide it (its own payments), once every claim is assessed."""
    if settled is None or not claims or any(c["assessed_fen"] is None for c in claims):
        return {}
    parties = [PartyCover(p["label"], p["insurer_code"], p["share_percent"],
                          opted_in_mutual=p["mutual_opt_in"]) for p in settled["parties"]]
    losses = [Loss(c["label"], Fen(c["assessed_fen"]), bool(c["vehicle_only"])) for c in claims]
    cover = decide_cover(parties=parties, losses=losses, accident_day=settled["accident_day"])
    decided = {}
    for c in claims:
        mine = _cover_json(cover)
        mine["payments"] = [p for p in mine["payments"] if p["payee"] == c["label"]]
        decided[c["id"]] = mine
    return decided


async def redecide(conn: asyncpg.Connection, *, report_id: UUID, now: datetime | None = None) -> bool:
    """Decide the report's cover once every claim is assessed; again whenever the result changes."""
    settled = await repo.settlement(conn, report_id=report_id)
    claims = await repo.claims_of_report(conn, report_id=report_id)
    decided = cover_by_claim(settled, claims)
    changed = False
    for c in claims:
        if c["id"] not in decided or c["cover"] == (mine := decided[c["id"]]) or c["paid_fen"] is not None:
            continue  # a claim with a payment keeps the cover it was paid on
        changed = True
        revision = c["cover_revision"] + 1
        await repo.update_claim(conn, claim_id=c["id"], fields={"cover": mine, "cover_revision": revision})
        await record(conn, AuditEvent("claim", str(c["id"]), "cover_decided", SYSTEM, report_id,
                                      {"cover": {"before": c["cover"], "after": mine}}))
        data = {"claim_id": str(c["id"]), "report_id": str(report_id), "revision": revision,
                "assessed_fen": c["assessed_fen"], **mine}
        for insurer in concerned(c["insurer_code"], settled["parties"], c["label"]):
            await enqueue_insurer_event(conn, insurer_code=insurer, event_type="claim.cover_decided", data=data,
                                        occurred_at=now or datetime.now(UTC), report_id=report_id,
                                        dedupe_key=f"{c['id']}:{revision}")
    return changed
