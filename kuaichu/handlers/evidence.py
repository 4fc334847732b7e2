"""The evidence bundle of a case, for its parties, police, the court and admins (accident/evidence_bundle.py)."""

from __future__ import annotations

import asyncio
import hashlib
from uuid import UUID

from aiohttp import web

from accident import evidence_bundle
from kernel.identity import Principal
from kernel.timestamping import TimestampError
from kuaichu.api import PARTY, Route, principal, staff
from kuaichu.context import Services
from kuaichu.intake import report_id_of
from kuaichu.keys import SERVICES
from kuaichu.sealer import seal_now
from kuaichu.settings import Settings


class NoTimestampAuthority(evidence_bundle.NotAnchoredYet):
    code = "evidence-no-timestamp-authority"
    title_zh = "证据包不可用：未配置可信时间戳服务"
    title_en = "The evidence bundle is not available: no time-stamping authority is configured"


async def export(
    services: Services, settings: Settings, who: Principal, report_id: UUID
) -> tuple[str, bytes]:
    """Seal and anchor now if the case's last event is not anchored yet, then build the bag; audited."""
    if settings.tsa_url is None or settings.tsa_ca_file is None:
        raise NoTimestampAuthority()
    async with services.pool.acquire() as conn:
        await evidence_bundle.access(conn, who, report_id)
        anchored = await evidence_bundle.last_event_anchored(conn, report_id)
    if not anchored:
        try:
            await seal_now(services.pool, services.http, settings, force_anchor=True)
        except TimestampError:
            raise evidence_bundle.NotAnchoredYet(retry_after_s=30) from None
    ca = await asyncio.to_thread(settings.tsa_ca_file.read_bytes)
    async with services.pool.acquire() as conn:
        name, data = await evidence_bundle.build(
            conn,
            keyring=services.keyring,
            store=services.photos,
            report_id=report_id,
            tsa_ca_pem=ca,
        )
        async with conn.transaction():
            await evidence_bundle.record_export(
                conn, who=who, report_id=report_id, archive_sha256=hashlib.sha256(data).hexdigest()
            )
    return name, data


async def get_evidence_bundle(request: web.Request) -> web.Response:
    name, data = await export(
        request.app[SERVICES],
        request.app[SERVICES].settings,
        principal(request),
        report_id_of(request),
    )
    return web.Response(
        body=data,
        content_type="application/gzip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-SHA256": hashlib.sha256(data).hexdigest(),
        },
    )


ROUTES = [
    Route(
        "GET",
        "/v1/reports/{report_id}/evidence-bundle",
        get_evidence_bundle,
        "The case's evidence as one BagIt archive (tar.gz) with VERIFY.md and verify.sh: photos, agreement, "
        "decisions, the hash-chained audit trail, its seal path and RFC 3161 timestamp",
        auth=(PARTY, *staff("police", "court", "admin")),
        tag="reports",
        raw_response={200: "application/gzip"},
        errors=(404, 503),
    ),
]
