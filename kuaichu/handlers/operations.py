"""Operators' workbench: outbox health per destination, webhook secrets and their rotation, reference data
versions, and staff accounts (create, jurisdiction, deactivate: the same functions as `kuaichu staff`)."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta

from aiohttp import web

from claims import endpoints
from claims.webhooks import TOPIC as INSURER_WEBHOOK
from geo import repository as reference
from kernel import idempotency, outbox
from kernel import staff_accounts as accounts
from kernel.errors import NotFound
from kuaichu import staff_accounts as sign_in
from kuaichu.api import Route, json_response, principal, read_model, staff
from kuaichu.intake import idempotency_of
from kuaichu.keys import SERVICES
from schemas.operations import (
    JurisdictionSet,
    OutboxHealth,
    ReferenceVersions,
    SecretRotated,
    SecretRotation,
    StaffAccount,
    StaffAccounts,
    StaffCreate,
    StaffCreated,
    StaffQuery,
    WebhookSecrets,
)

# Insurer webhooks go to one receiver per insurer, named in the payload.
RECEIVERS = {INSURER_WEBHOOK: "insurer_code"}


async def outbox_health(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as conn:
        rows = await outbox.health(conn, receivers=RECEIVERS)
    return json_response(OutboxHealth(destinations=rows))


class InsurerNotFound(NotFound):
    code = "insurer-not-found"
    title_zh = "没有该保险公司"
    title_en = "No insurer with this code"


async def webhook_secrets(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    async with request.app[SERVICES].pool.acquire() as conn:
        views = await endpoints.secret_list(conn, code=code)
    if views is None:
        raise InsurerNotFound()
    return json_response(WebhookSecrets(code=code, secrets=views))


async def rotate_webhook_secret(request: web.Request) -> web.Response:
    """The new secret is in the answer once; a retry with the same Idempotency-Key gets the same secret back
    (kept encrypted with the stored answer), never a second rotation."""
    body = await read_model(request, SecretRotation)
    code = request.match_info["code"]
    who = principal(request)
    s = request.app[SERVICES]
    idem = idempotency_of(request, who, f"webhook_secret_rotation:{code}")
    async with s.pool.acquire() as conn, conn.transaction():
        if idem is not None and (
            stored := await idempotency.claim(
                conn, scope=idem.scope, key=idem.key, request_hash=idem.request_hash
            )
        ):
            secret = s.keyring.decrypt(base64.b64decode(stored.body["secret_enc"]))
            views = await endpoints.secret_list(conn, code=code) or []
            return json_response(SecretRotated(code=code, secret=secret, secrets=views), 201)
        rotated = await endpoints.rotate_secret(
            conn, code=code, overlap=timedelta(hours=body.overlap_hours), actor=who.actor
        )
        if rotated is None:
            raise InsurerNotFound()
        secret, views = rotated
        if idem is not None:
            await idempotency.store(
                conn,
                scope=idem.scope,
                key=idem.key,
                status=201,
                body={"secret_enc": base64.b64encode(s.keyring.encrypt(secret)).decode()},
            )
    return json_response(SecretRotated(code=code, secret=secret, secrets=views), 201)


async def reference_versions(request: web.Request) -> web.Response:
    s = request.app[SERVICES]
    async with s.pool.acquire() as conn:
        rows = await reference.versions(conn)
    current = s.zones.index.version if s.zones.index is not None else None
    return json_response(
        ReferenceVersions(current_in_this_process=current, versions=[dict(r) for r in rows])
    )


async def list_staff(request: web.Request) -> web.Response:
    q = StaffQuery.model_validate(dict(request.query))
    async with request.app[SERVICES].pool.acquire() as conn:
        rows = await accounts.listing(conn, role=q.role, active=q.active)
    return json_response(StaffAccounts(accounts=rows))


async def create_staff(request: web.Request) -> web.Response:
    """A person's account with its one-time enrolment link (as `kuaichu staff create`), or a system client's
    with its bearer token (`--token`); either is in the answer once, and a retry with the same Idempotency-Key
    gets the same account and link or token back (kept encrypted with the stored answer)."""
    body = await read_model(request, StaffCreate)
    who = principal(request)
    s = request.app[SERVICES]
    k = s.keyring
    idem = idempotency_of(request, who, "staff_create")
    async with s.pool.acquire() as conn, conn.transaction():
        if idem is not None and (
            stored := await idempotency.claim(
                conn, scope=idem.scope, key=idem.key, request_hash=idem.request_hash
            )
        ):
            account = await accounts.account(conn, username=stored.body["username"])
            secret = k.decrypt(base64.b64decode(stored.body["secret_enc"]))
            return _created(request, account, secret, stored.body.get("expires_at"))
        staff_id, token = await accounts.create(
            conn,
            k,
            username=body.username,
            role=body.role,
            name=body.display_name,
            insurer=body.insurer,
            jurisdiction=body.jurisdiction,
            actor=who.actor,
            with_token=body.kind == "system_client",
        )
        expires = None
        if token is None:
            token, expires_at = await sign_in.issue_enrolment(
                conn,
                k,
                staff_id=staff_id,
                sets_password=True,
                sets_totp=body.role in sign_in.TOTP_ROLES,
                ttl_s=s.settings.staff_enrolment_ttl_s,
            )
            expires = expires_at.isoformat()
        account = await accounts.account(conn, username=body.username)
        if idem is not None:
            await idempotency.store(
                conn,
                scope=idem.scope,
                key=idem.key,
                status=201,
                body={
                    "username": body.username,
                    "secret_enc": base64.b64encode(k.encrypt(token)).decode(),
                    "expires_at": expires,
                },
            )
    return _created(request, account, token, expires)


def _created(request: web.Request, account: dict, secret: str, expires: str | None) -> web.Response:
    if expires is None:
        return json_response(StaffCreated(account=account, token=secret), 201)
    base = request.app[SERVICES].settings.public_base_url or ""
    return json_response(
        StaffCreated(
            account=account,
            enrolment_url=sign_in.enrolment_url(base, secret),
            enrolment_expires_at=datetime.fromisoformat(expires),
        ),
        201,
    )


async def set_jurisdiction(request: web.Request) -> web.Response:
    body = await read_model(request, JurisdictionSet)
    async with request.app[SERVICES].pool.acquire() as conn, conn.transaction():
        account = await accounts.set_jurisdiction(
            conn,
            username=request.match_info["username"],
            zones=list(body.zones),
            actor=principal(request).actor,
        )
    return json_response(StaffAccount.model_validate(account))


async def deactivate_staff(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as conn, conn.transaction():
        account = await accounts.deactivate(
            conn, username=request.match_info["username"], actor=principal(request).actor
        )
        await sign_in.end_staff_sessions(
            conn, staff_id=uuid.UUID(account["id"]), reason="deactivated"
        )
    return json_response(StaffAccount.model_validate(account))


_ADMIN = staff("admin")
ROUTES = [
    Route(
        "GET",
        "/v1/admin/outbox/health",
        outbox_health,
        "Outbox health per destination: pending (due, retrying), parked with the reasons, oldest ages",
        auth=_ADMIN,
        tag="admin",
        responses={200: OutboxHealth},
    ),
    Route(
        "GET",
        "/v1/admin/insurers/{code}/webhook/secrets",
        webhook_secrets,
        "An insurer's dated webhook secrets (fingerprints and dates; the secrets never leave)",
        auth=_ADMIN,
        tag="admin",
        responses={200: WebhookSecrets},
        errors=(404,),
    ),
    Route(
        "POST",
        "/v1/admin/insurers/{code}/webhook/secrets",
        rotate_webhook_secret,
        "Rotate: a new secret signs from now on, beside the current ones for `overlap_hours`; shown once",
        auth=_ADMIN,
        tag="admin",
        body=SecretRotation,
        responses={201: SecretRotated},
        idempotent=True,
        errors=(404,),
    ),
    Route(
        "GET",
        "/v1/admin/reference/versions",
        reference_versions,
        "Reference data versions loaded (newest first) and the one this process's zone index uses",
        auth=_ADMIN,
        tag="admin",
        responses={200: ReferenceVersions},
    ),
    Route(
        "GET",
        "/v1/admin/staff",
        list_staff,
        "Staff accounts (role, insurer, jurisdiction, active)",
        auth=_ADMIN,
        tag="admin",
        query=StaffQuery,
        responses={200: StaffAccounts},
    ),
    Route(
        "POST",
        "/v1/admin/staff",
        create_staff,
        "Create a staff account (as `kuaichu staff create`): a person's one-time enrolment link, or a system "
        "client's bearer token, shown once",
        auth=_ADMIN,
        tag="admin",
        body=StaffCreate,
        responses={201: StaffCreated},
        idempotent=True,
        errors=(409, 422),
    ),
    Route(
        "PUT",
        "/v1/admin/staff/{username}/jurisdiction",
        set_jurisdiction,
        "Replace a police account's zones (audited)",
        auth=_ADMIN,
        tag="admin",
        body=JurisdictionSet,
        responses={200: StaffAccount},
        errors=(404, 422),
    ),
    Route(
        "POST",
        "/v1/admin/staff/{username}/deactivate",
        deactivate_staff,
        "Deactivate a staff account: its credentials stop working within a second (audited)",
        auth=_ADMIN,
        tag="admin",
        responses={200: StaffAccount},
        errors=(404, 409),
    ),
]
