"""RFC 3161 time-stamping: ask a time-stamping authority (TSA) to sign "this digest existed at this time".

The request is small enough to write in DER by hand (a SHA-256 message imprint, a nonce, and a request for
the authority's certificate); the answer is stored whole, as `openssl ts -verify -in` reads it. Verifying a
token (its signature, its certificate chain, its imprint) is `openssl ts -verify`'s work: see VERIFY.md of
an evidence bundle and kernel/audit_chain.verify_anchor.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp

_SHA256 = bytes.fromhex("0609608648016503040201")  # OID 2.16.840.1.101.3.4.2.1
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampError(Exception):
    """The authority did not grant a token (unreachable, refused, or answered something else)."""


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _integer(value: int) -> bytes:
    raw = value.to_bytes(
        max(1, (value.bit_length() + 8) // 8), "big"
    )  # a leading 0 keeps it positive
    return _der(0x02, raw)


def request(digest: bytes, *, nonce: int | None = None) -> bytes:
    """DER TimeStampReq for a SHA-256 digest, asking for the signer's certificate in the token."""
    if len(digest) != 32:
        raise ValueError("a SHA-256 digest has 32 bytes")
    imprint = _der(0x30, _der(0x30, _SHA256 + b"\x05\x00") + _der(0x04, digest))
    nonce = secrets.randbits(63) if nonce is None else nonce
    return _der(0x30, _integer(1) + imprint + _integer(nonce) + b"\x01\x01\xff")


def _read(buf: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of the content, end of the content) of the DER element at `at`."""
    tag, first = buf[at], buf[at + 1]
    at += 2
    if first & 0x80:
        n = first & 0x7F
        length = int.from_bytes(buf[at : at + n], "big")
        at += n
    else:
        length = first
    if at + length > len(buf):
        raise TimestampError("truncated answer")
    return tag, at, at + length


def granted(reply: bytes) -> bool:
    """Whether a DER TimeStampResp says granted (0) or granted with modifications (1) and holds a token."""
    try:
        tag, start, end = _read(reply, 0)
        if tag != 0x30:
            return False
        tag, s_start, s_end = _read(reply, start)  # PKIStatusInfo
        itag, i_start, i_end = _read(reply, s_start)
        if tag != 0x30 or itag != 0x02:
            return False
        status = int.from_bytes(reply[i_start:i_end], "big")
        return status in (0, 1) and s_end < end  # a timeStampToken follows the status
    except (IndexError, TimestampError):
        return False


@dataclass(frozen=True, slots=True)
class Authority:
    url: str
    timeout_s: float = 10.0

    async def stamp(self, http: aiohttp.ClientSession, digest: bytes) -> bytes:
        """The authority's DER reply for `digest`; TimestampError unless it granted a token."""
        try:
            async with http.post(
                self.url,
                data=request(digest),
                headers={"Content-Type": QUERY_TYPE},
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise TimestampError(f"{self.url} answered {resp.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TimestampError(f"{self.url}: {exc!r}") from exc
        if not granted(body):
            raise TimestampError(f"{self.url} did not grant a timestamp")
        return body


async def openssl_verify(
    reply: bytes, digest: bytes, *, ca_file: Path, untrusted: Path | None = None
) -> str:
    """Run `openssl ts -verify` on a stored reply; '' when it verifies, else openssl's complaint."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reply.tsr"
        path.write_bytes(reply)
        args = [
            "openssl",
            "ts",
            "-verify",
            "-digest",
            digest.hex(),
            "-in",
            str(path),
            "-CAfile",
            str(ca_file),
        ]
        if untrusted is not None:
            args += ["-untrusted", str(untrusted)]
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    return (
        ""
        if proc.returncode == 0 and "Verification: OK" in text
        else text.strip() or "openssl failed"
    )
