"""Staff as people: enrolment links, passwords (argon2id), TOTP, the lock after failed sign-ins, sessions.

A person's account has no bearer token: it is created with a one-time enrolment link (`kuaichu staff create`)
through which the person sets a password and, for police, supervisor and admin accounts, an authenticator app
(TOTP, RFC 6238). Signing in opens a session held in an HttpOnly cookie. `staff_lock_failures` failed sign-ins
in a row lock the account for `staff_lock_s`. An admin's reset (API or CLI) ends every session of the account
and issues a new link for what was reset. Everything here is audited.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kernel import ratelimit
from kernel.audit import AuditEvent, record
from kernel.crypto import Keyring, new_token
from kernel.errors import DomainError, InvalidInput, RateLimited, Unauthenticated, field
from kernel.sessions import STAFF_SESSION_PREFIX
from kuaichu.settings import Settings

TOTP_ROLES = frozenset({"police", "supervisor", "admin"})
ENROLMENT_PREFIX = "kse"
TOTP_ISSUER = "Kuaichu 快处"
# argon2-cffi's defaults: argon2id, RFC 9106's second recommended profile (64 MiB, 3 passes, 4 lanes).
_HASHER = PasswordHasher()
# Verified when the account is unknown or has no password yet, so that both take as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class StaffPolicy:
    session_ttl_s: int
    idle_s: int
    enrolment_ttl_s: int
    lock_failures: int
    lock_s: int
    failures_per_address_per_hour: int = 30
    rate_limits: bool = True


def policy_from(settings: Settings) -> StaffPolicy:
    return StaffPolicy(
        session_ttl_s=settings.staff_session_ttl_s,
        idle_s=settings.staff_idle_s,
        enrolment_ttl_s=settings.staff_enrolment_ttl_s,
        lock_failures=settings.staff_lock_failures,
        lock_s=settings.staff_lock_s,
        failures_per_address_per_hour=settings.staff_sign_in_failures_per_address_per_hour,
        rate_limits=not settings.bench_disable_rate_limits,
    )


class SignInFailed(DomainError):
    code = "staff-sign-in-failed"
    kind = "unauthenticated"
    title_zh = "用户名、密码或动态口令不正确"
    title_en = "Wrong username, password or authenticator code"


class TotpRequired(DomainError):
    code = "totp-required"
    kind = "unauthenticated"
    title_zh = "请输入身份验证器应用中的6位动态口令"
    title_en = "Enter the 6-digit code of your authenticator app"


class AccountLocked(RateLimited):
    code = "staff-account-locked"
    title_zh = "登录失败次数过多，账号已暂时锁定"
    title_en = "Too many failed sign-ins: the account is locked for a while"


class EnrolmentLinkInvalid(DomainError):
    code = "enrolment-link-invalid"
    kind = "gone"
    title_zh = "链接无效、已使用或已过期，请联系管理员重新发送"
    title_en = "This link is invalid, used or expired; ask an administrator for a new one"


class WrongTotp(DomainError):
    code = "totp-code-wrong"
    kind = "invalid"
    title_zh = "动态口令不正确"
    title_en = "Wrong authenticator code"


class StaffNotFound(DomainError):
    code = "staff-not-found"
    kind = "not_found"
    title_zh = "没有这个员工账号"
    title_en = "No such staff account"


def enrolment_url(public_base_url: str, token: str) -> str:
    """The link a person opens; the token is in the fragment, which no request, log or Referer carries."""
    return f"{public_base_url.rstrip('/')}/staff/enrol#token={token}"


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def _password_ok(stored: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def _totp_step(
    secret: str, code: str, *, after: int | None, now: float | None = None
) -> int | None:
    """The time step (of 30 s) whose code this is, within one step of now and later than `after` (a code is
    good once); None when it is no such code."""
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // totp.interval)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and secrets.compare_digest(
            totp.generate_otp(step), code
        ):
            return step
    return None


async def issue_enrolment(
    conn: asyncpg.Connection,
    keyring: Keyring,
    *,
    staff_id: uuid.UUID,
    sets_password: bool,
    sets_totp: bool,
    ttl_s: int,
) -> tuple[str, datetime]:
    """A new one-time link (earlier unused ones of the account stop working); the caller's transaction."""
    token = new_token(ENROLMENT_PREFIX)
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl_s)
    await conn.execute(
        "UPDATE staff_enrolments SET expires_at = now() WHERE staff_id = $1::uuid AND used_at IS NULL "
        "AND expires_at > now()",
        staff_id,
    )
    await conn.execute(
        """INSERT INTO staff_enrolments (id, staff_id, token_hash, sets_password, sets_totp, expires_at)
           VALUES ($1::uuid, $2::uuid, $3::bytea, $4::boolean, $5::boolean, $6::timestamptz)""",
        uuid.uuid4(),
        staff_id,
        keyring.token_hash(token),
        sets_password,
        sets_totp,
        expires_at,
    )
    return token, expires_at


_OPEN_LINK = """SELECT e.id, e.staff_id, e.sets_password, e.sets_totp, e.totp_secret_enc, e.expires_at, s.username,
                       s.role
                FROM staff_enrolments e JOIN staff s ON s.id = e.staff_id
                WHERE e.token_hash = $1::bytea AND e.used_at IS NULL AND e.expires_at > now() AND s.active"""


async def open_enrolment(pool: asyncpg.Pool, keyring: Keyring, *, token: str) -> dict[str, Any]:
    """What the link sets, and the TOTP secret it offers (the same one however often it is opened)."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(_OPEN_LINK + " FOR UPDATE OF e", keyring.token_hash(token))
        if row is None:
            raise EnrolmentLinkInvalid()
        secret = None
        if row["sets_totp"]:
            if row["totp_secret_enc"] is not None:
                secret = keyring.decrypt(bytes(row["totp_secret_enc"]))
            else:
                secret = pyotp.random_base32()
                await conn.execute(
                    "UPDATE staff_enrolments SET totp_secret_enc = $2::bytea WHERE id = $1::uuid",
                    row["id"],
                    keyring.encrypt(secret),
                )
    uri = (
        pyotp.TOTP(secret).provisioning_uri(name=row["username"], issuer_name=TOTP_ISSUER)
        if secret
        else None
    )
    return {
        "username": row["username"],
        "role": row["role"],
        "sets_password": row["sets_password"],
        "sets_totp": row["sets_totp"],
        "totp_secret": secret,
        "otpauth_uri": uri,
        "expires_at": row["expires_at"],
    }


async def complete_enrolment(
    pool: asyncpg.Pool, keyring: Keyring, *, token: str, password: str | None, totp_code: str | None
) -> dict[str, Any]:
    """Set what the link sets (all or nothing); the link is spent, and every session of the account ends."""
    password_hash = await hash_password(password) if password is not None else None
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(_OPEN_LINK + " FOR UPDATE OF e", keyring.token_hash(token))
        if row is None:
            raise EnrolmentLinkInvalid()
        errors = []
        if row["sets_password"] and password is None:
            errors.append(
                field(
                    "#/password",
                    "请设置密码（至少12个字符）",
                    "Set a password (at least 12 characters)",
                )
            )
        if row["sets_totp"] and totp_code is None:
            errors.append(
                field(
                    "#/totp_code",
                    "请输入身份验证器应用显示的6位动态口令",
                    "Enter the 6-digit code your authenticator app shows",
                )
            )
        if errors:
            raise InvalidInput("请补全以下内容", "Fill in what is missing", errors=errors)
        secret, step = None, None
        if row["sets_totp"]:
            if row["totp_secret_enc"] is None:
                raise EnrolmentLinkInvalid(
                    "请重新打开链接以获取动态口令密钥",
                    "Open the link again to get the authenticator secret",
                )
            secret = keyring.decrypt(bytes(row["totp_secret_enc"]))
            step = _totp_step(secret, totp_code or "", after=None)
            if step is None:
                raise WrongTotp(
                    "动态口令不正确：请检查手机时间，输入应用当前显示的口令",
                    "Wrong code: check the phone's clock and enter the code the app shows now",
                    errors=[field("#/totp_code", "动态口令不正确", "Wrong authenticator code")],
                )
        await conn.execute(
            """UPDATE staff SET password_hash = coalesce($2::text, password_hash),
                                totp_secret_enc = CASE WHEN $3::boolean THEN $4::bytea ELSE totp_secret_enc END,
                                totp_last_step = CASE WHEN $3::boolean THEN $5::bigint ELSE totp_last_step END,
                                failed_sign_ins = 0, locked_until = NULL
               WHERE id = $1::uuid""",
            row["staff_id"],
            password_hash if row["sets_password"] else None,
            row["sets_totp"],
            keyring.encrypt(secret) if secret else None,
            step,
        )
        await conn.execute(
            "UPDATE staff_enrolments SET used_at = now() WHERE id = $1::uuid", row["id"]
        )
        ended = await end_staff_sessions(conn, staff_id=row["staff_id"], reason="enrolment")
        await record(
            conn,
            AuditEvent(
                "staff",
                str(row["staff_id"]),
                "enrolled",
                ("staff", str(row["staff_id"])),
                changes={
                    "password_set": {"before": None, "after": row["sets_password"]},
                    "totp_set": {"before": None, "after": row["sets_totp"]},
                    "sessions_ended": {"before": None, "after": ended},
                },
            ),
        )
    return {
        "username": row["username"],
        "password_set": row["sets_password"],
        "totp_set": row["sets_totp"],
    }


async def end_staff_sessions(
    conn: asyncpg.Connection,
    *,
    staff_id: uuid.UUID,
    reason: str,
    session_id: uuid.UUID | None = None,
) -> int:
    """End the account's open sessions (or one of them); the caller's transaction."""
    ended = await conn.fetch(
        """UPDATE staff_sessions SET revoked_at = now(), revoked_reason = $3::text
           WHERE staff_id = $1::uuid AND revoked_at IS NULL AND ($2::uuid IS NULL OR id = $2::uuid) RETURNING id""",
        staff_id,
        session_id,
        reason,
    )
    return len(ended)


async def sign_in(
    pool: asyncpg.Pool,
    keyring: Keyring,
    policy: StaffPolicy,
    *,
    username: str,
    password: str,
    totp_code: str | None,
    ip: str,
) -> dict[str, Any]:
    """Check password and (where the role needs it, or the person set one up) TOTP; open a session.

    The account's row is locked while its password is checked, so attempts at once are counted one by one.
    """
    async with pool.acquire() as conn:
        # Every attempt takes a hit of the address's budget first (committed); a successful one gives it back, so
        # only failures count: trying a few passwords on many accounts stops here, not at each account's lock.
        n = policy.failures_per_address_per_hour
        per_address = ratelimit.Limit(
            f"staff-sign-in:address:{ip}",
            (
                ratelimit.Window(
                    "staff-sign-in-failures-per-address-per-hour",
                    n,
                    3600,
                    f"同一网络地址每小时最多{n}次员工登录失败",
                    f"One network address fails at most {n} staff sign-ins an hour",
                ),
            ),
        )
        at = await ratelimit.take(conn, per_address, enabled=policy.rate_limits)
        outcome: DomainError | None = None
        async with conn.transaction():
            row = await conn.fetchrow(
                """SELECT id, username, display_name, role, jurisdiction, password_hash, totp_secret_enc,
                          totp_last_step, locked_until > now() AS locked,
                          CASE WHEN locked_until <= now() THEN 0 ELSE failed_sign_ins END AS failures,
                          ceil(extract(epoch FROM locked_until - now()))::int AS locked_for_s
                   FROM staff WHERE username = $1::text AND active FOR UPDATE""",
                username,
            )
            if row is None:
                await _password_ok(None, password)  # as long as for an account
                raise SignInFailed()
            if row["locked"]:
                raise _locked(row["locked_for_s"], policy)
            ok = await _password_ok(row["password_hash"], password)
            secret = (
                keyring.decrypt(bytes(row["totp_secret_enc"]))
                if row["totp_secret_enc"] is not None
                else None
            )
            step = None
            if ok and (secret is not None or row["role"] in TOTP_ROLES):
                if (
                    secret is None
                ):  # a role that needs TOTP, not set up: finish the enrolment link first
                    ok = False
                elif totp_code is None:
                    raise TotpRequired(
                        errors=[
                            field(
                                "#/totp_code",
                                "请输入6位动态口令",
                                "Enter the 6-digit authenticator code",
                            )
                        ]
                    )
                else:
                    step = _totp_step(secret, totp_code, after=row["totp_last_step"])
                    ok = step is not None
            if not ok:
                failures = row["failures"] + 1
                locked = failures >= policy.lock_failures
                await conn.execute(
                    """UPDATE staff SET failed_sign_ins = $2::int,
                              locked_until = CASE WHEN $3::boolean THEN now() + make_interval(secs => $4::int)
                                                  ELSE NULL END
                       WHERE id = $1::uuid""",
                    row["id"],
                    failures,
                    locked,
                    policy.lock_s,
                )
                await record(
                    conn,
                    AuditEvent(
                        "staff",
                        str(row["id"]),
                        "sign_in_failed",
                        ("system", "sign-in"),
                        changes={"failures": {"before": row["failures"], "after": failures}},
                    ),
                    *(
                        [
                            AuditEvent(
                                "staff",
                                str(row["id"]),
                                "locked",
                                ("system", "sign-in"),
                                changes={"locked_for_s": {"before": None, "after": policy.lock_s}},
                            )
                        ]
                        if locked
                        else []
                    ),
                )
                outcome = _locked(policy.lock_s, policy) if locked else SignInFailed()
            else:
                token = new_token(STAFF_SESSION_PREFIX)
                session_id = uuid.uuid4()
                expires_at = await conn.fetchval(
                    """INSERT INTO staff_sessions (id, staff_id, token_hash, expires_at)
                       VALUES ($1::uuid, $2::uuid, $3::bytea, now() + make_interval(secs => $4::int))
                       RETURNING expires_at""",
                    session_id,
                    row["id"],
                    keyring.token_hash(token),
                    policy.session_ttl_s,
                )
                # A hash made with weaker parameters than today's is replaced while the password is at hand.
                rehash = (
                    await hash_password(password)
                    if _HASHER.check_needs_rehash(row["password_hash"])
                    else None
                )
                await conn.execute(
                    """UPDATE staff SET failed_sign_ins = 0, locked_until = NULL,
                              totp_last_step = coalesce($2::bigint, totp_last_step),
                              password_hash = coalesce($3::text, password_hash) WHERE id = $1::uuid""",
                    row["id"],
                    step,
                    rehash,
                )
                await record(
                    conn,
                    AuditEvent(
                        "staff",
                        str(row["id"]),
                        "signed_in",
                        ("staff", str(row["id"])),
                        changes={"session": {"before": None, "after": str(session_id)}},
                    ),
                )
        if outcome is not None:  # the failure is committed first: a refused attempt still counts
            raise outcome
        await ratelimit.give_back(conn, at, per_address.bucket)
    return {
        "token": token,
        "session_id": session_id,
        "expires_at": expires_at,
        "username": row["username"],
        "display_name": row["display_name"],
        "role": row["role"],
        "jurisdiction": list(row["jurisdiction"]) if row["jurisdiction"] is not None else None,
    }


def _locked(seconds: int, policy: StaffPolicy) -> AccountLocked:
    minutes = max(1, -(-seconds // 60))
    return AccountLocked(
        f"连续{policy.lock_failures}次登录失败，账号已锁定，请{minutes}分钟后再试，或联系管理员",
        f"{policy.lock_failures} failed sign-ins in a row: the account is locked; try again in {minutes} minute(s) "
        f"or ask an administrator",
        retry_after_s=seconds,
    )


async def session_info(pool: asyncpg.Pool, *, session_id: uuid.UUID) -> asyncpg.Record | None:
    async with pool.acquire() as conn:
        return await conn.fetchrow(
            """SELECT s.username, s.display_name, s.role, s.jurisdiction, ss.expires_at
               FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id WHERE ss.id = $1::uuid""",
            session_id,
        )


async def sign_out(pool: asyncpg.Pool, *, staff_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    async with pool.acquire() as conn, conn.transaction():
        ended = await end_staff_sessions(
            conn, staff_id=staff_id, reason="sign-out", session_id=session_id
        )
        if ended:
            await record(
                conn,
                AuditEvent(
                    "staff",
                    str(staff_id),
                    "signed_out",
                    ("staff", str(staff_id)),
                    changes={"session": {"before": str(session_id), "after": None}},
                ),
            )
    return bool(ended)


async def reset(
    conn: asyncpg.Connection,
    keyring: Keyring,
    policy: StaffPolicy,
    *,
    username: str,
    password: bool,
    totp: bool,
    actor: tuple[str, str],
) -> dict[str, Any]:
    """An admin's reset: what is reset stops working at once, every session of the account ends, and the person
    gets a new one-time link to set it again. Returns the link's token and expiry, and the sessions ended."""
    async with conn.transaction():
        staff_id = await conn.fetchval(
            """UPDATE staff SET password_hash = CASE WHEN $2::boolean THEN NULL ELSE password_hash END,
                                totp_secret_enc = CASE WHEN $3::boolean THEN NULL ELSE totp_secret_enc END,
                                totp_last_step = CASE WHEN $3::boolean THEN NULL ELSE totp_last_step END,
                                failed_sign_ins = 0, locked_until = NULL
               WHERE username = $1::text AND active RETURNING id""",
            username,
            password,
            totp,
        )
        if staff_id is None:
            raise StaffNotFound(
                f"没有名为 {username} 的在用员工账号", f"No active staff account named {username!r}"
            )
        ended = await end_staff_sessions(conn, staff_id=staff_id, reason="reset")
        token, expires_at = await issue_enrolment(
            conn,
            keyring,
            staff_id=staff_id,
            sets_password=password,
            sets_totp=totp,
            ttl_s=policy.enrolment_ttl_s,
        )
        await record(
            conn,
            AuditEvent(
                "staff",
                str(staff_id),
                "reset",
                actor,
                changes={
                    "password": {"before": None, "after": "reset" if password else "kept"},
                    "totp": {"before": None, "after": "reset" if totp else "kept"},
                    "sessions_ended": {"before": None, "after": ended},
                },
            ),
        )
    return {"token": token, "expires_at": expires_at, "sessions_ended": ended}


def not_signed_in() -> Unauthenticated:
    return Unauthenticated("请先登录工作台", "Sign in to the workbench first")
