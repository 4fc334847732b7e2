"""The evidence bundle of a case: one BagIt archive (RFC 8493) that anyone can check without us.

    kuaichu-evidence-<report id>/
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt  VERIFY.md  verify.sh
      data/report.json                      the case as recorded (no personal data beyond the agreement's)
      data/photos/photos.json               every photo: kind, SHA-256, capture time and place, removed or not
      data/photos/originals/<id>.<ext>      the uploaded bytes, untouched
      data/photos/derivatives/<id>-<name>.jpg  previews made by the service: DERIVED, not evidence of their own
      data/agreement/agreement.json|.pdf    the signed agreement, exactly the bytes whose SHA-256 was recorded
      data/decisions/*.json                 each fault proposal (template set and version, facts, result) and
                                            police determination, as the canonical bytes the audit trail hashes
      data/audit/chain.jsonl                the case's audit chain, one canonical event encoding a line
      data/seal/entries.jsonl               the seal entries from the one holding the case's last event to an
                                            anchored one, one canonical encoding a line
      data/seal/anchor.tsr, anchor.json     the RFC 3161 reply anchoring the last of them
      data/seal/tsa-ca.crt                  the time-stamping authority's root certificate

verify.sh (sha256sum, jq and openssl only) and VERIFY.md (the same in words) check all of it.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from accident import evidence_verify
from accident.errors import ReportNotFound
from accident.evidence_records import determination_record, proposal_record, record_bytes
from accident.service import access as service_access
from accident.storage import PhotoStore
from kernel.audit import AuditEvent, record
from kernel.audit_chain import event_preimage, seal_preimage
from kernel.crypto import Keyring
from kernel.errors import DomainError, NotFound
from kernel.identity import Principal, StaffPrincipal, SystemPrincipal

_EXT = {"image/jpeg": "jpg", "image/png": "png"}


class NotAnchoredYet(DomainError):
    code = "evidence-not-anchored-yet"
    kind = "unavailable"
    title_zh = "证据包暂不可用：最新记录尚未取得可信时间戳，请稍后再试"
    title_en = "The evidence bundle is not available yet: the latest records await a trusted timestamp; retry shortly"


@dataclass(frozen=True, slots=True)
class Anchor:
    seal_seq: int
    response: bytes
    tsa_url: str
    anchored_at: datetime


def _json(value: Any) -> bytes:
    return (
        orjson.dumps(
            value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z, default=str
        )
        + b"\n"
    )


async def chain_rows(conn: asyncpg.Connection, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, chain, seq, prev_hash, hash, at, entity, entity_id, action, actor_kind, actor_id,
                  changes::text AS changes_text, personal_commitment
           FROM audit_events WHERE chain = $1::text ORDER BY seq""",
        str(report_id),
    )


async def anchored_path(
    conn: asyncpg.Connection, last_event_id: int
) -> tuple[list[asyncpg.Record], Anchor] | None:
    """The seal entries from the one holding `last_event_id` to the first anchored one, and that anchor."""
    first = await conn.fetchval(
        "SELECT seq FROM audit_seal WHERE event_ids @> ARRAY[$1::bigint]", last_event_id
    )
    if first is None:
        return None
    anchor = await conn.fetchrow(
        """SELECT seal_seq, response, tsa_url, anchored_at FROM audit_anchors WHERE seal_seq >= $1::bigint
           ORDER BY seal_seq LIMIT 1""",
        first,
    )
    if anchor is None:
        return None
    entries = await conn.fetch(
        """SELECT seq, prev_hash, hash, event_ids, event_hashes FROM audit_seal
           WHERE seq BETWEEN $1::bigint AND $2::bigint ORDER BY seq""",
        first,
        anchor["seal_seq"],
    )
    return entries, Anchor(
        anchor["seal_seq"], bytes(anchor["response"]), anchor["tsa_url"], anchor["anchored_at"]
    )


async def last_event_anchored(conn: asyncpg.Connection, report_id: UUID) -> bool:
    last = await conn.fetchval(
        "SELECT id FROM audit_events WHERE chain = $1::text ORDER BY seq DESC LIMIT 1",
        str(report_id),
    )
    return last is not None and await anchored_path(conn, last) is not None


async def _decisions(conn: asyncpg.Connection, report_id: UUID) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in await conn.fetch(
        """SELECT version, set_id, set_version, facts, result FROM fault_proposals WHERE report_id = $1::uuid
               ORDER BY version""",
        report_id,
    ):
        out[f"data/decisions/fault_proposal-v{p['version']}.json"] = record_bytes(
            proposal_record(
                report_id=report_id,
                version=p["version"],
                set_id=p["set_id"],
                set_version=p["set_version"],
                facts=p["facts"],
                result=p["result"],
            )
        )
    for d in await conn.fetch(
        """SELECT d.version, d.reason, d.articles,
                      coalesce((SELECT jsonb_agg(jsonb_build_object('party', pa.label, 'liability', s.liability,
                                                                    'share_percent', s.share_percent)
                                                 ORDER BY pa.label)
                                FROM police_determination_shares s JOIN parties pa ON pa.id = s.party_id
                                WHERE s.report_id = d.report_id AND s.version = d.version), '[]') AS shares
               FROM police_determinations d WHERE d.report_id = $1::uuid ORDER BY d.version""",
        report_id,
    ):
        out[f"data/decisions/police_determination-v{d['version']}.json"] = record_bytes(
            determination_record(
                report_id=report_id,
                version=d["version"],
                reason=d["reason"],
                articles=d["articles"],
                shares=d["shares"],
            )
        )
    return out


async def _photos(conn: asyncpg.Connection, store: PhotoStore, report_id: UUID) -> dict[str, bytes]:
    rows = await conn.fetch(
        """SELECT ph.id, ph.kind, pa.label AS party_label, ph.sha256, ph.size_bytes, ph.media_type, ph.width,
                  ph.height, ph.taken_at, ph.gps_lat, ph.gps_lon, ph.derivatives, ph.created_at,
                  EXISTS (SELECT 1 FROM photo_removals rm WHERE rm.photo_id = ph.id) AS removed
           FROM photos ph LEFT JOIN parties pa ON pa.id = ph.party_id
           WHERE ph.report_id = $1::uuid ORDER BY ph.created_at, ph.id""",
        report_id,
    )
    files: dict[str, bytes] = {}
    index = []
    for r in rows:
        original = f"data/photos/originals/{r['id']}.{_EXT.get(r['media_type'], 'bin')}"
        files[original] = await store.read(r["sha256"])
        derived = []
        if r["derivatives"] == "ready":
            for name in ("preview", "thumbnail"):
                path = f"data/photos/derivatives/{r['id']}-{name}.jpg"
                try:
                    files[path] = await store.read(r["sha256"], name)  # type: ignore[arg-type]
                except (NotFound, OSError):
                    continue
                derived.append(
                    {
                        "file": path.removeprefix("data/"),
                        "derived": True,
                        "kind": name,
                        "made_from": original.removeprefix("data/"),
                    }
                )
        index.append(
            {
                "id": str(r["id"]),
                "kind": r["kind"],
                "party": r["party_label"],
                "sha256": r["sha256"],
                "size_bytes": r["size_bytes"],
                "media_type": r["media_type"],
                "width": r["width"],
                "height": r["height"],
                "taken_at": r["taken_at"],
                "gps": None if r["gps_lat"] is None else {"lat": r["gps_lat"], "lon": r["gps_lon"]},
                "uploaded_at": r["created_at"],
                "removed_by_party": r["removed"],
                "original": original.removeprefix("data/"),
                "derivatives": derived,
            }
        )
    files["data/photos/photos.json"] = _json(
        {
            "note": "Originals are the uploaded bytes (their SHA-256 is in the audit chain's photo.uploaded events); "
            "derivatives are previews the service made from them, for viewing only.",
            "photos": index,
        }
    )
    return files


async def _agreement(
    conn: asyncpg.Connection, keyring: Keyring, report_id: UUID
) -> dict[str, bytes]:
    row = await conn.fetchrow(
        """SELECT content, content_enc, pdf, pdf_enc FROM fault_agreements WHERE report_id = $1::uuid""",
        report_id,
    )
    if row is None:
        return {}
    document = (
        keyring.unseal(row["content_enc"])
        if row["content_enc"] is not None
        else orjson.dumps(row["content"], option=orjson.OPT_SORT_KEYS)
    )
    pdf = keyring.unseal(row["pdf_enc"]) if row["pdf_enc"] is not None else bytes(row["pdf"])
    return {"data/agreement/agreement.json": document, "data/agreement/agreement.pdf": pdf}


async def build(
    conn: asyncpg.Connection,
    *,
    keyring: Keyring,
    store: PhotoStore,
    report_id: UUID,
    tsa_ca_pem: bytes,
    now: datetime | None = None,
) -> tuple[str, bytes]:
    """(file name, gzip'd tar of the bag). NotAnchoredYet until the case's last event is sealed and anchored."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        report = await conn.fetchrow(
            """SELECT r.id, r.status, r.occurred_at, r.zone_id, z.name AS zone_name, r.vehicle_count, r.created_at,
                      r.updated_at FROM reports r JOIN zones z ON z.id = r.zone_id WHERE r.id = $1::uuid""",
            report_id,
        )
        if report is None:
            raise ReportNotFound()
        events = await chain_rows(conn, report_id)
        path = await anchored_path(conn, events[-1]["id"]) if events else None
        if path is None:
            raise NotAnchoredYet(retry_after_s=30)
        entries, anchor = path
        files: dict[str, bytes] = {"data/report.json": _json(dict(report))}
        files |= await _photos(conn, store, report_id)
        files |= await _agreement(conn, keyring, report_id)
        files |= await _decisions(conn, report_id)
    lines = []
    prev = None
    for e in events:
        lines.append(event_preimage(e, prev))
        prev = bytes(e["hash"])
    files["data/audit/chain.jsonl"] = "".join(f"{line}\n" for line in lines).encode("utf-8")
    seal_lines = []
    for s in entries:
        pairs = list(zip(s["event_ids"], [bytes(h) for h in s["event_hashes"]], strict=True))
        seal_lines.append(
            seal_preimage(
                s["seq"], None if s["prev_hash"] is None else bytes(s["prev_hash"]), pairs
            )
        )
    files["data/seal/entries.jsonl"] = "".join(f"{line}\n" for line in seal_lines).encode("utf-8")
    files["data/seal/anchor.tsr"] = anchor.response
    files["data/seal/anchor.json"] = _json(
        {
            "seal_seq": anchor.seal_seq,
            "seal_hash": bytes(entries[-1]["hash"]).hex(),
            "tsa_url": anchor.tsa_url,
            "anchored_at": anchor.anchored_at,
        }
    )
    files["data/seal/tsa-ca.crt"] = tsa_ca_pem
    made = now or datetime.now(UTC)
    name = f"kuaichu-evidence-{report_id}"
    return f"{name}.tar.gz", _bag(name, files, report_id=report_id, made=made, events=len(events))


def _bag(
    name: str, payload: dict[str, bytes], *, report_id: UUID, made: datetime, events: int
) -> bytes:
    """RFC 8493: bagit.txt, the payload manifest, bag-info.txt, the tag files and their manifest."""
    manifest = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {path}\n" for path, data in sorted(payload.items())
    )
    octets = sum(len(d) for d in payload.values())
    tags: dict[str, bytes] = {
        "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": (
            f"Source-Organization: kuaichu\nExternal-Identifier: {report_id}\n"
            f"External-Description: Evidence of road accident report {report_id}: photos, agreement, "
            f"decisions, hash-chained audit trail ({events} events) and its RFC 3161 anchor\n"
            f"Bagging-Date: {made.date().isoformat()}\nBagging-Time: {made.isoformat()}\n"
            f"Payload-Oxum: {octets}.{len(payload)}\n"
        ).encode(),
        "manifest-sha256.txt": manifest.encode("utf-8"),
        "VERIFY.md": evidence_verify.VERIFY_MD.encode("utf-8"),
        "verify.sh": evidence_verify.VERIFY_SH.encode("utf-8"),
    }
    tagmanifest = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {path}\n" for path, data in sorted(tags.items())
    )
    files = {**tags, "tagmanifest-sha256.txt": tagmanifest.encode("utf-8"), **payload}
    out = io.BytesIO()
    stamp = made.timestamp()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            info.mtime = int(stamp)
            info.mode = 0o755 if path == "verify.sh" else 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


async def access(conn: asyncpg.Connection, who: Principal, report_id: UUID) -> None:
    """Who may take a case's evidence away: its parties, police of its jurisdiction, admins (as for the report)
    and the court once the case went to it; operators at the console (`kuaichu evidence export`). Others: 404."""
    if isinstance(who, SystemPrincipal):
        return
    if isinstance(who, StaffPrincipal) and who.role == "court":
        if await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM court_packages WHERE report_id = $1::uuid)", report_id
        ):
            return
        raise ReportNotFound()
    await service_access(conn, who, report_id)


async def record_export(
    conn: asyncpg.Connection, *, who: Principal, report_id: UUID, archive_sha256: str
) -> None:
    await record(
        conn,
        AuditEvent(
            "report",
            str(report_id),
            "evidence_exported",
            who.actor,
            report_id,
            {"archive_sha256": {"before": None, "after": archive_sha256}},
        ),
    )
