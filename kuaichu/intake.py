"""Request helpers shared by the driver-facing handlers: idempotency keys, client address, report ids."""

from __future__ import annotations

import uuid

from aiohttp import web

from accident.errors import ReportNotFound
from accident.service import Idempotency
from kernel.crypto import request_hash
from kernel.idempotency import check_key
from kernel.identity import PartyPrincipal, PhonePrincipal, Principal, StaffPrincipal
from kuaichu.api import RAW_BODY

IDEMPOTENCY_HEADER = "Idempotency-Key"


def principal_scope(who: Principal) -> str:
    if isinstance(who, PhonePrincipal):
        return "phone:" + who.phone_hash.hex()
    if isinstance(who, PartyPrincipal):
        return f"party:{who.party_id}"
    if isinstance(who, StaffPrincipal):
        return f"staff:{who.staff_id}"
    return "system"


def idempotency_of(request: web.Request, who: Principal, operation: str) -> Idempotency | None:
    """The request's Idempotency-Key, scoped to the caller and the operation, with a hash of the body."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    raw = request.get(RAW_BODY, b"")
    return Idempotency(
        scope=f"{operation}|{principal_scope(who)}",
        key=check_key(key),
        request_hash=request_hash(
            operation.encode(), request.match_info.get("report_id", "").encode(), raw
        ),
    )


def client_ip(request: web.Request) -> str:
    # Behind a load balancer, configure aiohttp-remotes or equivalent so that request.remote is the client.
    return request.remote or "unknown"


def report_id_of(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["report_id"])
    except ValueError:
        raise ReportNotFound() from None
