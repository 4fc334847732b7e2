"""Staff accounts for the operators' admin API: create (the bearer token shown once), set a police account's
jurisdiction, deactivate, list; and which zones a staff member oversees.

The rules are those of `kuaichu staff` (kuaichu/commands/staff.py): an adjuster names its insurer, a police
account its jurisdiction, zones and insurers must exist, a username is taken once. Every change is audited with
the admin who made it; refusals are domain errors in both languages with a pointer to the field.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import asyncpg

from kernel.audit import AuditEvent, record
from kernel.crypto import Keyring, new_token
from kernel.errors import DomainError, NotFound, field
from kernel.sessions import STAFF_PREFIX

ROLES = ("police", "adjuster", "coordinator", "court", "admin", "supervisor")
# Roles whose accounts see reports by zone (staff.jurisdiction): their zones are required and settable. A
# supervisor is such a role (accepted here once the staff table admits it).
ZONED_ROLES = ("police", "supervisor")
# Who may read the oversight views (inquiry queue, supervision aggregates): admins everywhere, zone-bound roles
# within their jurisdiction. `zones_overseen` is the one check; extend these tuples, not the callers.
OVERSEERS_EVERYWHERE = ("admin",)
OVERSEERS_BY_ZONE = ("police", "supervisor")


async def zones_overseen(
    conn: asyncpg.Connection, *, staff_id: UUID, role: str
) -> list[str] | None:
    """The zones a staff member oversees: None for every zone, else its jurisdiction (empty: none at all)."""
    if role in OVERSEERS_EVERYWHERE:
        return None
    if role not in OVERSEERS_BY_ZONE:
        return []
    zones = await conn.fetchval(
        "SELECT jurisdiction FROM staff WHERE id = $1::uuid AND active", staff_id
    )
    return list(zones or [])


class StaffAccountRefused(DomainError):
    code = "staff-account-refused"
    kind = "invalid"
    title_zh = "员工账号信息有误"
    title_en = "The staff account cannot be saved as given"


class StaffAccountExists(DomainError):
    code = "staff-account-exists"
    kind = "conflict"
    title_zh = "该用户名已被使用"
    title_en = "A staff account with this username exists"


class StaffAccountNotFound(NotFound):
    code = "staff-account-not-found"
    title_zh = "没有该员工账号"
    title_en = "No such staff account"


class StaffAccountInactive(DomainError):
    code = "staff-account-inactive"
    kind = "conflict"
    title_zh = "该员工账号已停用"
    title_en = "This staff account is already inactive"


async def check_zones(
    conn: asyncpg.Connection, zones: list[str], *, pointer: str = "#/jurisdiction"
) -> None:
    known = {
        r["id"] for r in await conn.fetch("SELECT id FROM zones WHERE id = ANY($1::text[])", zones)
    }
    unknown = [z for z in zones if z not in known]
    if unknown:
        names = ", ".join(unknown)
        raise StaffAccountRefused(
            f"未知的区县编号：{names}（见参考数据中的区县）",
            f"unknown zone(s) {names} (see the zones of the reference data)",
            errors=[field(pointer, f"未知的区县编号：{names}", f"Unknown zone(s): {names}")],
        )


async def create(
    conn: asyncpg.Connection,
    keyring: Keyring,
    *,
    username: str,
    role: str,
    name: str | None,
    insurer: str | None,
    jurisdiction: list[str] | None,
    actor: tuple[str, str | None],
    with_token: bool = True,
) -> tuple[UUID, str | None]:
    """Insert an account (in the caller's transaction); its id and, for a system client (`with_token`), its
    bearer token (stored only as a hash). A person's account has no token: it signs in after enrolment."""
    if role not in ROLES:
        raise StaffAccountRefused(
            f"未知角色“{role}”",
            f"unknown role {role!r}",
            errors=[field("#/role", "未知角色", "Unknown role")],
        )
    if role == "adjuster" and not insurer:
        raise StaffAccountRefused(
            "查勘员账号须指定保险公司",
            "an adjuster needs --insurer",
            errors=[field("#/insurer", "查勘员须指定保险公司", "An adjuster needs an insurer")],
        )
    if role in ZONED_ROLES and not jurisdiction:
        raise StaffAccountRefused(
            "交警账号须指定辖区（其审核的区县）",
            "a police account needs --jurisdiction (the zones it reviews)",
            errors=[
                field("#/jurisdiction", "请填写辖区区县", "Give the zones (counties) it reviews")
            ],
        )
    if jurisdiction:
        await check_zones(conn, jurisdiction)
    if insurer and not await conn.fetchval("SELECT 1 FROM insurers WHERE code = $1::text", insurer):
        raise StaffAccountRefused(
            f"未知的保险公司“{insurer}”（请先加载参考数据）",
            f"unknown insurer {insurer!r} (load reference data first)",
            errors=[field("#/insurer", "未知的保险公司", "Unknown insurer")],
        )
    token = new_token(STAFF_PREFIX) if with_token else None
    staff_id = uuid.uuid4()
    try:
        async with conn.transaction():
            await conn.execute(
                """INSERT INTO staff (id, username, role, insurer_code, display_name, token_hash, jurisdiction)
                   VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, $6::bytea, $7::text[])""",
                staff_id,
                username,
                role,
                insurer,
                name or username,
                keyring.token_hash(token) if token else None,
                jurisdiction,
            )
    except asyncpg.UniqueViolationError:
        raise StaffAccountExists(
            f"用户名“{username}”已被使用",
            f"a staff account named {username!r} exists (use rotate-token)",
            errors=[field("#/username", "用户名已被使用", "This username is taken")],
        ) from None
    await record(
        conn,
        AuditEvent(
            "staff",
            str(staff_id),
            "created",
            actor,
            None,
            {
                "username": {"before": None, "after": username},
                "role": {"before": None, "after": role},
                "insurer_code": {"before": None, "after": insurer},
                "jurisdiction": {"before": None, "after": jurisdiction},
                "kind": {"before": None, "after": "system-client" if with_token else "person"},
            },
        ),
    )
    return staff_id, token


async def set_jurisdiction(
    conn: asyncpg.Connection, *, username: str, zones: list[str], actor: tuple[str, str | None]
) -> dict[str, Any]:
    """Replace a zone-bound account's zones (in the caller's transaction); audited with before and after."""
    await check_zones(conn, zones, pointer="#/zones")
    before = await conn.fetchrow(
        "SELECT id, role, jurisdiction FROM staff WHERE username = $1::text FOR UPDATE", username
    )
    if before is None or before["role"] not in ZONED_ROLES:
        raise StaffAccountNotFound(
            f"没有名为“{username}”的交警账号", f"no police account named {username!r}"
        )
    await conn.execute(
        "UPDATE staff SET jurisdiction = $2::text[] WHERE id = $1::uuid", before["id"], zones
    )
    await record(
        conn,
        AuditEvent(
            "staff",
            str(before["id"]),
            "jurisdiction_changed",
            actor,
            None,
            {"jurisdiction": {"before": before["jurisdiction"], "after": zones}},
        ),
    )
    return await account(conn, username=username)


async def deactivate(
    conn: asyncpg.Connection, *, username: str, actor: tuple[str, str | None]
) -> dict[str, Any]:
    """Deactivate an account (in the caller's transaction): its token and sessions stop working within a second
    (the caller also ends its sessions for the record)."""
    staff_id = await conn.fetchval(
        "UPDATE staff SET active = false WHERE username = $1::text AND active RETURNING id",
        username,
    )
    if staff_id is None:
        if await conn.fetchval("SELECT 1 FROM staff WHERE username = $1::text", username):
            raise StaffAccountInactive(
                f"员工账号“{username}”已停用", f"staff account {username!r} is already inactive"
            )
        raise StaffAccountNotFound(
            f"没有名为“{username}”的员工账号", f"no staff account named {username!r}"
        )
    await record(
        conn,
        AuditEvent(
            "staff",
            str(staff_id),
            "deactivated",
            actor,
            changes={"active": {"before": True, "after": False}},
        ),
    )
    return await account(conn, username=username)


_COLUMNS = "id, username, role, display_name, insurer_code, jurisdiction, active, created_at"


def _row(r: asyncpg.Record) -> dict[str, Any]:
    return {
        **dict(r),
        "id": str(r["id"]),
        "jurisdiction": list(r["jurisdiction"]) if r["jurisdiction"] else None,
    }


async def account(conn: asyncpg.Connection, *, username: str) -> dict[str, Any]:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM staff WHERE username = $1::text", username)  # noqa: S608
    if row is None:
        raise StaffAccountNotFound(
            f"没有名为“{username}”的员工账号", f"no staff account named {username!r}"
        )
    return _row(row)


async def listing(
    conn: asyncpg.Connection, *, role: str | None = None, active: bool | None = None
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM staff
            WHERE ($1::text IS NULL OR role = $1::text) AND ($2::bool IS NULL OR active = $2::bool)
            ORDER BY username""",  # noqa: S608 - a fixed column list
        role,
        active,
    )
    return [_row(r) for r in rows]
