"""Use cases of the court bridge: queue a report's dispute package, queue numbered updates, and an operator's
corrected revision of a package the court refused. Queuing runs in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import pydantic

from court_bridge import repository as repo
from court_bridge import sources
from court_bridge.errors import BadCorrection, CaseNotFound, NotCorrectable
from court_bridge.package import build_package, correct
from court_bridge.stored import from_store, seal_bytes, to_store
from kernel import outbox
from kernel.audit import AuditEvent, record
from kernel.canonical import canonical_json, sha256_hex
from kernel.crypto import Keyring
from kernel.errors import field
from kernel.photo_links import COURT, signed_photo_link
from schemas.court import CaseUpdate
from schemas.messages import pointer_errors

CASE_TOPIC = "court.case"
UPDATE_TOPIC = "court.update"
# Court messages are corrected and re-sent as a new revision, never discarded: updates have no gaps.
UNDISCARDABLE_TOPICS = frozenset({CASE_TOPIC, UPDATE_TOPIC})
# Mediation, judicial confirmation and judgment take weeks: court links last longer than an insurer's; a
# corrected revision signs them afresh.
LINK_TTL_S = 90 * 24 * 3600


@dataclass(frozen=True, slots=True)
class CourtBridge:
    """What building a package needs: keys to decrypt personal data and sign photo links, the public address."""

    keyring: Keyring
    public_base_url: str
    link_ttl_s: int = LINK_TTL_S

    def photo_link(
        self, *, report_id: UUID | str, photo_id: str, now: datetime
    ) -> tuple[str, datetime]:
        """A signed link to the original photo, and when it expires."""
        return signed_photo_link(
            self.keyring,
            self.public_base_url,
            report_id=report_id,
            photo_id=photo_id,
            recipient=COURT,
            ttl_s=self.link_ttl_s,
            at=now.timestamp(),
        )


def new_package_id() -> str:
    return "pkg_" + uuid.uuid4().hex


def case_key(package_id: str, revision: int) -> str:
    """The case POST's Idempotency-Key (and webhook-id)."""
    return f"{package_id}.{revision}"


def update_key(package_id: str, sequence: int) -> str:
    return f"{package_id}.u{sequence}"


def case_payload(package_id: str, revision: int, sealed: bytes) -> dict[str, Any]:
    """The case message carries what every attempt sends (the sealed exact bytes, the key): no query per attempt."""
    return {
        "package_id": package_id,
        "revision": revision,
        "key": case_key(package_id, revision),
        "sealed": sealed.decode("ascii"),
    }  # Keyring blobs are URL-safe base64 text


def update_payload(package_id: str, sequence: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "package_id": package_id,
        "sequence": sequence,
        "key": update_key(package_id, sequence),
        "path": f"/v1/cases/{package_id}/updates",
        "body": canonical_json(body).decode(),
    }


async def build(
    conn: asyncpg.Connection,
    bridge: CourtBridge,
    *,
    report_id: UUID,
    package_id: str,
    revision: int,
    now: datetime,
) -> dict[str, Any]:
    """The sealed package of a report as the database holds it now (personal data decrypted)."""
    row = await sources.report(conn, report_id=report_id)
    request = await sources.court_request(conn, report_id=report_id)
    if row is None or request is None:
        raise LookupError(f"report {report_id} has no court request")
    k = bridge.keyring
    report = {**dict(row), "address": k.decrypt_or(row["address_enc"], row["address"])}
    parties = [
        {
            **dict(p),
            "name": k.decrypt(p["name_enc"]),
            "id_number": k.decrypt(p["id_number_enc"]),
            "phone": k.decrypt(p["phone_enc"]),
            "policy_number": k.decrypt_or(p["policy_number_enc"], p["policy_number"]),
        }
        for p in await sources.parties(conn, report_id=report_id)
    ]
    photos = []
    for ph in await sources.photos(conn, report_id=report_id):
        url, expires = bridge.photo_link(report_id=report_id, photo_id=str(ph["id"]), now=now)
        photos.append({**dict(ph), "url": url, "expires_at": expires})
    assessments = [
        {**a, "items": a["items"] if isinstance(a["items"], list) else [a["items"]]}
        for a in await sources.assessments(conn, report_id=report_id)
    ]
    return build_package(
        package_id=package_id,
        revision=revision,
        created_at=now,
        report=report,
        parties=parties,
        accounts=await sources.accounts(conn, report_id=report_id),
        proposals=await sources.proposals(conn, report_id=report_id),
        determinations=await sources.determinations(conn, report_id=report_id),
        answers=await sources.answers(conn, report_id=report_id),
        court_request=request,
        photos=photos,
        assessments=assessments,
        claims=await sources.claims(conn, report_id=report_id),
    )


async def queue_case(
    conn: asyncpg.Connection,
    bridge: CourtBridge,
    *,
    report_id: UUID,
    actor: tuple[str, str],
    now: datetime,
) -> str:
    """Build revision 1 and queue its POST (sequence 0 of the package's ordering key); return the package id."""
    package_id = new_package_id()
    body = await build(
        conn, bridge, report_id=report_id, package_id=package_id, revision=1, now=now
    )
    await store_and_queue(conn, bridge.keyring, body=body, report_id=report_id, actor=actor)
    return package_id


async def store_and_queue(
    conn: asyncpg.Connection,
    keyring: Keyring,
    *,
    body: dict[str, Any],
    report_id: UUID | str,
    actor: tuple[str, str],
) -> None:
    """Store revision 1 of a built package (sealed) and queue its POST, audited, in the caller's transaction."""
    package_id = body["package_id"]
    digest, sealed = body["integrity"]["digest"], seal_bytes(body, keyring)
    await repo.insert_package(
        conn,
        package_id=package_id,
        revision=1,
        report_id=report_id,
        body=to_store(body, keyring),
        sealed=sealed,
        digest=digest,
        created_by=":".join(actor),
        reason=None,
    )
    await outbox.enqueue(
        conn,
        topic=CASE_TOPIC,
        dedupe_key=f"{CASE_TOPIC}:{package_id}",
        report_id=report_id,
        payload=case_payload(package_id, 1, sealed),
        ordering_key=package_id,
        sequence=0,
    )
    await record(
        conn,
        AuditEvent(
            "court_package",
            case_key(package_id, 1),
            "queued",
            actor,
            report_id,
            {
                "state": {"before": None, "after": "queued"},
                "digest": {"before": None, "after": digest},
            },
        ),
    )


async def queue_update(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    type: str,
    data: dict[str, Any],
    occurred_at: datetime,
    key: str | None = None,
) -> int | None:
    """Queue the next numbered update of the report's court case in the caller's transaction.

    Types: determination, assessment, claim_status, withdrawal. Returns the sequence, or None when the report
    has no court case or this event (same `key`, by default same type, time and data) was queued before.
    """
    package = await repo.current(conn, report_id=report_id, lock=True)
    if package is None:
        return None
    body = CaseUpdate(sequence=1, type=type, occurred_at=occurred_at, data=data).model_dump(
        mode="json"
    )
    del body["sequence"]  # numbered by the database, next after the package's last update
    source_key = key or sha256_hex(canonical_json(body))
    package_id = package["package_id"]
    seq = await repo.insert_update(
        conn,
        package_id=package_id,
        report_id=report_id,
        type_=type,
        source_key=source_key,
        body=body,
        occurred_at=occurred_at,
    )
    if seq is None:
        return None
    await outbox.enqueue(
        conn,
        topic=UPDATE_TOPIC,
        dedupe_key=f"{UPDATE_TOPIC}:{package_id}:{seq}",
        report_id=report_id,
        payload=update_payload(package_id, seq, {**body, "sequence": seq}),
        ordering_key=package_id,
        sequence=seq,
    )
    await record(
        conn,
        AuditEvent(
            "court_update",
            update_key(package_id, seq),
            "queued",
            ("system", "court-bridge"),
            report_id,
            {"type": {"before": None, "after": type}},
        ),
    )
    return seq


@dataclass(frozen=True, slots=True)
class CourtCases:
    """The court bridge as the accident flow's port (`accident.ports.CourtCases`), built by the composition root."""

    bridge: CourtBridge

    async def open_case(
        self, conn: asyncpg.Connection, *, report_id: UUID, actor: tuple[str, str], now: datetime
    ) -> str:
        return await queue_case(conn, self.bridge, report_id=report_id, actor=actor, now=now)

    async def update(
        self,
        conn: asyncpg.Connection,
        *,
        report_id: UUID,
        type: str,
        data: dict[str, Any],
        occurred_at: datetime,
        key: str | None = None,
    ) -> int | None:
        return await queue_update(
            conn, report_id=report_id, type=type, data=data, occurred_at=occurred_at, key=key
        )


def _pointer(loc: Sequence[int | str]) -> str:
    return "#/" + "/".join(str(p) for p in loc)


async def resend(
    conn: asyncpg.Connection,
    bridge: CourtBridge,
    *,
    package_id: str,
    reason: str,
    corrections: Sequence[tuple[str, Any]],
    actor: tuple[str, str],
    now: datetime,
) -> int:
    """An operator corrects a refused (parked) package: the next revision, links signed afresh, queued again."""
    cur = await repo.current(conn, package_id=package_id, lock=True)
    if cur is None:
        raise CaseNotFound()
    if cur["state"] != "parked":
        raise NotCorrectable(state=cur["state"])
    previous = from_store(cur["body"], bridge.keyring)
    links = []
    for i, ph in enumerate(previous["photos"]):
        url, expires = bridge.photo_link(
            report_id=cur["report_id"], photo_id=ph["photo_id"], now=now
        )
        links += [(f"/photos/{i}/url", url), (f"/photos/{i}/link_expires_at", expires.isoformat())]
    revision = cur["revision"] + 1
    try:
        body = correct(
            previous, revision=revision, created_at=now, corrections=[*links, *corrections]
        )
    except KeyError as exc:
        raise BadCorrection(
            errors=[
                field(
                    "#" + str(exc.args[0]),
                    "没有这一项，或这一项不能更正",
                    "No such member, or one that may not be changed",
                )
            ]
        ) from None
    except pydantic.ValidationError as exc:
        raise BadCorrection(
            errors=[
                {**e, "pointer": _pointer(err["loc"])}
                for e, err in zip(
                    pointer_errors(exc.errors(include_url=False)), exc.errors(), strict=True
                )
            ]
        ) from None
    digest, sealed = body["integrity"]["digest"], seal_bytes(body, bridge.keyring)
    await repo.insert_package(
        conn,
        package_id=package_id,
        revision=revision,
        report_id=cur["report_id"],
        body=to_store(body, bridge.keyring),
        sealed=sealed,
        digest=digest,
        created_by=":".join(actor),
        reason=reason,
    )
    if not await outbox.requeue_parked(
        conn,
        dedupe_key=f"{CASE_TOPIC}:{package_id}",
        payload=case_payload(package_id, revision, sealed),
    ):
        raise NotCorrectable("案件材料仍在发送中", "The package's message is still being delivered")
    await record(
        conn,
        AuditEvent(
            "court_package",
            case_key(package_id, revision),
            "revised",
            actor,
            cur["report_id"],
            {
                "revision": {"before": cur["revision"], "after": revision},
                "digest": {"before": cur["digest"], "after": digest},
                "corrected": {"before": None, "after": [p for p, _ in corrections]},
                "reason": {"before": None, "after": reason},
            },
        ),
    )
    return revision
