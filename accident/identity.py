"""Party identity by phone: one-time codes (6 digits, short expiry, rate-limited) and phone sessions."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from accident.errors import CodeExpired, WrongCode
from kernel import ratelimit
from kernel.audit import AuditEvent, record
from kernel.crypto import Keyring, new_token
from kernel.errors import DomainError, RateLimited, Unauthenticated
from kernel.identity import PhonePrincipal
from kernel.ratelimit import Limit, Window
from kernel.sessions import PHONE_PREFIX
from kernel.sms import SmsError, SmsSender


@dataclass(frozen=True, slots=True)
class OtpPolicy:
    ttl_s: int
    max_attempts: int
    session_ttl_s: int
    login_codes_per_phone_per_minute: int
    login_codes_per_phone_per_hour: int
    login_codes_per_phone_per_day: int
    login_codes_per_address_per_hour: int
    signing_codes_per_party_per_hour: int
    rate_limits: bool = True


class SmsUnavailable(DomainError):
    code = "sms-unavailable"
    kind = "unavailable"
    title_zh = "短信暂时无法发送，请稍后重试"
    title_en = "Text messages cannot be sent right now; try again shortly"


def login_limits(policy: OtpPolicy, *, phone_hash: bytes, ip: str) -> tuple[Limit, Limit]:
    """Login codes: a cooldown and hourly and daily caps per phone (asked for by anyone who knows the number,
    so they are its own budget, apart from signing), and a cap per client address."""
    m, h, d = (
        policy.login_codes_per_phone_per_minute,
        policy.login_codes_per_phone_per_hour,
        policy.login_codes_per_phone_per_day,
    )
    per_phone = Limit(
        f"login-code:phone:{phone_hash.hex()}",
        (
            Window(
                "login-codes-per-phone-per-minute",
                m,
                60,
                f"每个手机号每分钟最多获取{m}次登录验证码",
                f"A phone gets at most {m} login code(s) a minute",
            ),
            Window(
                "login-codes-per-phone-per-hour",
                h,
                3600,
                f"每个手机号每小时最多获取{h}次登录验证码",
                f"A phone gets at most {h} login codes an hour",
            ),
            Window(
                "login-codes-per-phone-per-day",
                d,
                86400,
                f"每个手机号每天最多获取{d}次登录验证码",
                f"A phone gets at most {d} login codes a day",
            ),
        ),
    )
    n = policy.login_codes_per_address_per_hour
    per_address = Limit(
        f"login-code:address:{ip}",
        (
            Window(
                "login-codes-per-address-per-hour",
                n,
                3600,
                f"同一网络地址每小时最多获取{n}次登录验证码",
                f"One network address gets at most {n} login codes an hour",
            ),
        ),
    )
    return per_phone, per_address


def signing_limit(policy: OtpPolicy, *, party_id: uuid.UUID) -> Limit:
    """Signing codes: only a party of the report asks for them (authenticated), from a budget of its own."""
    n = policy.signing_codes_per_party_per_hour
    return Limit(
        f"signing-code:party:{party_id}",
        (
            Window(
                "signing-codes-per-party-per-hour",
                n,
                3600,
                f"每位当事人每小时最多获取{n}次签署验证码",
                f"A party gets at most {n} signing codes an hour",
            ),
        ),
    )


async def request_login_code(
    pool: asyncpg.Pool,
    *,
    keyring: Keyring,
    sender: SmsSender,
    policy: OtpPolicy,
    phone: str,
    ip: str,
) -> tuple[uuid.UUID, datetime]:
    """Text a login code; refused (429 naming the limit) when the phone or the address asked too often."""
    limits = login_limits(policy, phone_hash=keyring.phone_hash(phone), ip=ip)
    return await _issue(
        pool,
        keyring=keyring,
        sender=sender,
        policy=policy,
        phone=phone,
        purpose="login",
        limits=limits,
    )


async def request_signing_code(
    pool: asyncpg.Pool,
    *,
    keyring: Keyring,
    sender: SmsSender,
    policy: OtpPolicy,
    phone: str,
    party_id: uuid.UUID,
) -> tuple[uuid.UUID, datetime]:
    """Text a signing code to a party's own phone; refused when this party asked too often."""
    return await _issue(
        pool,
        keyring=keyring,
        sender=sender,
        policy=policy,
        phone=phone,
        purpose="sign",
        limits=(signing_limit(policy, party_id=party_id),),
    )


async def _issue(
    pool: asyncpg.Pool,
    *,
    keyring: Keyring,
    sender: SmsSender,
    policy: OtpPolicy,
    phone: str,
    purpose: str,
    limits: tuple[Limit, ...],
) -> tuple[uuid.UUID, datetime]:
    phone_hash = keyring.phone_hash(phone)
    challenge_id = uuid.uuid4()
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires_at = datetime.now(UTC) + timedelta(seconds=policy.ttl_s)
    async with pool.acquire() as conn:
        # Taken and committed first, so that the buckets are not locked while the text is being sent.
        at = await ratelimit.take(conn, *limits, enabled=policy.rate_limits)
        try:
            async with conn.transaction():
                await conn.execute(
                    """INSERT INTO otp_challenges (id, phone_hash, code_hash, purpose, expires_at)
                       VALUES ($1::uuid, $2::bytea, $3::bytea, $4::text, $5::timestamptz)""",
                    challenge_id,
                    phone_hash,
                    keyring.code_hash(str(challenge_id), code),
                    purpose,
                    expires_at,
                )
                text = f"【快处】验证码 {code}，{policy.ttl_s // 60}分钟内有效。请勿告诉他人。Kuaichu code {code}."
                try:
                    await sender.send(to=phone, text=text, message_id=f"otp-{challenge_id}")
                except SmsError as exc:
                    raise SmsUnavailable(retry_after_s=30) from exc
        except Exception:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await ratelimit.give_back(
                    conn, at, *(lim.bucket for lim in limits)
                )  # nothing was texted
            raise
    return challenge_id, expires_at


async def verify_code(
    pool: asyncpg.Pool, *, keyring: Keyring, policy: OtpPolicy, phone: str, code: str, purpose: str
) -> bytes:
    """Check the latest code sent to the phone and spend it; return its phone hash. Failed attempts are counted."""
    challenge_id = await check_code(
        pool, keyring=keyring, policy=policy, phone=phone, code=code, purpose=purpose
    )
    async with pool.acquire() as conn:
        await consume_code(conn, challenge_id=challenge_id)
    return keyring.phone_hash(phone)


async def check_code(
    pool: asyncpg.Pool, *, keyring: Keyring, policy: OtpPolicy, phone: str, code: str, purpose: str
) -> uuid.UUID:
    """The challenge whose code this is, left unspent; failed attempts are counted (and committed) here."""
    phone_hash = keyring.phone_hash(phone)
    failure: DomainError | None = None
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """SELECT id, code_hash, expires_at, attempts FROM otp_challenges
               WHERE phone_hash = $1::bytea AND purpose = $2::text AND consumed_at IS NULL
               ORDER BY created_at DESC LIMIT 1 FOR UPDATE""",
            phone_hash,
            purpose,
        )
        if row is None:
            failure = WrongCode(
                "没有待验证的验证码，请先获取验证码",
                "No code is pending for this phone; request one",
            )
        elif row["attempts"] >= policy.max_attempts:
            failure = RateLimited(
                "验证码错误次数过多，请重新获取",
                "Too many wrong codes; request a new one",
                retry_after_s=60,
            )
        elif row["expires_at"] < datetime.now(UTC):
            failure = CodeExpired()
        elif not secrets.compare_digest(
            bytes(row["code_hash"]), keyring.code_hash(str(row["id"]), code)
        ):
            await conn.execute(
                "UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1::uuid", row["id"]
            )
            left = policy.max_attempts - row["attempts"] - 1
            failure = WrongCode(
                f"验证码不正确，还可尝试{left}次",
                f"Wrong code; {left} attempt(s) left",
                attempts_left=left,
            )
    if failure is not None:
        raise failure
    return row["id"]


async def consume_code(conn: asyncpg.Connection, *, challenge_id: uuid.UUID) -> None:
    """Spend a checked code on the caller's connection: inside its transaction, a rollback gives the code back.

    Refused when a concurrent request spent it first (this waits for that request's transaction to end).
    """
    spent = await conn.fetchval(
        "UPDATE otp_challenges SET consumed_at = now() WHERE id = $1::uuid AND consumed_at IS NULL RETURNING id",
        challenge_id,
    )
    if spent is None:
        raise WrongCode("验证码已使用，请重新获取", "This code was already used; request a new one")


async def sign_in(
    pool: asyncpg.Pool,
    *,
    keyring: Keyring,
    policy: OtpPolicy,
    phone: str,
    code: str,
    transport: str = "bearer",
) -> tuple[str, datetime]:
    """A phone proves its login code and gets a phone session (see open_session for `transport`)."""
    phone_hash = await verify_code(
        pool, keyring=keyring, policy=policy, phone=phone, code=code, purpose="login"
    )
    return await open_session(
        pool, keyring=keyring, policy=policy, phone_hash=phone_hash, transport=transport
    )


async def open_session(
    pool: asyncpg.Pool,
    *,
    keyring: Keyring,
    policy: OtpPolicy,
    phone_hash: bytes,
    transport: str = "bearer",
) -> tuple[str, datetime]:
    """A phone session: reaches every report this phone is party to (a lost party token is not a lost case).

    `transport`: "bearer" (the token is handed to an API client) or "cookie" (a browser keeps it HttpOnly).
    """
    token = new_token(PHONE_PREFIX)
    session_id = uuid.uuid4()
    expires_at = datetime.now(UTC) + timedelta(seconds=policy.session_ttl_s)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO phone_sessions (id, token_hash, phone_hash, expires_at, transport)
               VALUES ($1::uuid, $2::bytea, $3::bytea, $4::timestamptz, $5::text)""",
            session_id,
            keyring.token_hash(token),
            phone_hash,
            expires_at,
            transport,
        )
        await record(
            conn,
            AuditEvent(
                "session",
                str(session_id),
                "opened",
                ("party", f"phone-session:{session_id}"),
                changes={"transport": {"before": None, "after": transport}},
            ),
        )
    return token, expires_at


class SameDriver(DomainError):
    code = "second-party-is-this-driver"
    kind = "conflict"
    title_zh = "这是本机已登录的手机号，请让对方驾驶人输入他自己的手机号"
    title_en = "This is the phone already signed in here: the other driver enters their own number"


async def open_second_party_session(
    pool: asyncpg.Pool, *, keyring: Keyring, host: PhonePrincipal, phone_hash: bytes, ttl_s: int
) -> tuple[str, datetime]:
    """A session for the other party on this device, proved by their own code: tied to the device's session
    (it ends with it), at most `ttl_s` long, and reaching only the reports both phones are party to."""
    if phone_hash == host.phone_hash:
        raise SameDriver()
    token = new_token(PHONE_PREFIX)
    session_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        expires_at = await conn.fetchval(
            """INSERT INTO phone_sessions (id, token_hash, phone_hash, expires_at, transport, host_session_id)
               SELECT $1::uuid, $2::bytea, $3::bytea, least(h.expires_at, now() + make_interval(secs => $5::int)),
                      'second_party', h.id
               FROM phone_sessions h WHERE h.id = $4::uuid AND h.revoked_at IS NULL AND h.expires_at > now()
               RETURNING expires_at""",
            session_id,
            keyring.token_hash(token),
            phone_hash,
            host.session_id,
            ttl_s,
        )
        if expires_at is None:  # the device's session ended a moment ago
            raise Unauthenticated(
                "本机的登录已结束，请重新登录", "This device's session has ended; sign in again"
            )
        # Earlier second-party sessions of this device end: one other party at a time.
        ended = await conn.fetch(
            """UPDATE phone_sessions SET revoked_at = now()
               WHERE host_session_id = $1::uuid AND id <> $2::uuid AND revoked_at IS NULL RETURNING id""",
            host.session_id,
            session_id,
        )
        await record(
            conn,
            AuditEvent(
                "session",
                str(session_id),
                "opened",
                ("party", f"phone-session:{session_id}"),
                changes={
                    "transport": {"before": None, "after": "second_party"},
                    "device_session": {"before": None, "after": str(host.session_id)},
                },
            ),
            *(AuditEvent("session", str(r["id"]), "revoked", host.actor) for r in ended),
        )
    return token, expires_at


async def end_sessions(pool: asyncpg.Pool, *, who: PhonePrincipal, others: bool) -> int:
    """End this phone session (logout), or every other open session of the same phone (a lost phone).

    Only phone sessions end: the phone's other sessions (at logout) and party tokens keep working.
    """
    async with pool.acquire() as conn, conn.transaction():
        ended = await conn.fetch(
            """UPDATE phone_sessions SET revoked_at = now()
               WHERE revoked_at IS NULL AND expires_at > now()
                 AND CASE WHEN $3::boolean THEN phone_hash = $1::bytea AND id <> $2::uuid ELSE id = $2::uuid END
               RETURNING id""",
            who.phone_hash,
            who.session_id,
            others,
        )
        await record(
            conn,
            *(
                AuditEvent(
                    "session", str(r["id"]), "revoked" if others else "logged_out", who.actor
                )
                for r in ended
            ),
        )
    return len(ended)
