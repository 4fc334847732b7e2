"""Keys for tokens, phone lookups, encryption at rest and signed links; nothing here touches I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def new_token(prefix: str) -> str:
    """A bearer token: a readable prefix (kind) and 256 random bits."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


_FORMAT = (
    b"\x01"  # blob = urlsafe-b64(format, key id (4), nonce (12), AES-256-GCM ciphertext + tag)
)


@dataclass(frozen=True, slots=True)
class DataKey:
    kid: bytes
    aead: AESGCM


@dataclass(frozen=True, slots=True)
class Keyring:
    """HMAC keys derived from one secret, and AES-256-GCM data keys (newest first) for personal data at rest.

    Data keys are urlsafe-base64 strings of 32 random bytes (the format `Fernet.generate_key()` prints). The
    newest key encrypts; every key decrypts, found by the key id stored in each blob (rotation).
    """

    secret: bytes
    keys: tuple[DataKey, ...]

    @classmethod
    def from_settings(cls, secret_key: str, data_keys: str) -> Keyring:
        raw = [base64.urlsafe_b64decode(k.strip()) for k in data_keys.split(",") if k.strip()]
        if not raw:
            raise ValueError("at least one data key is required")
        if any(len(k) != 32 for k in raw):
            raise ValueError("every data key must be the urlsafe base64 of 32 bytes")
        keys = tuple(DataKey(hashlib.sha256(k).digest()[:4], AESGCM(k)) for k in raw)
        return cls(secret=secret_key.encode(), keys=keys)

    def _mac(self, purpose: str, value: str) -> bytes:
        return hmac.digest(_purpose_key(self.secret, purpose), value.encode(), "sha256")

    def token_hash(self, token: str) -> bytes:
        """What the database stores instead of a bearer token or a one-time code."""
        return self._mac("token", token)

    def csrf_token(self, token: str) -> str:
        """The anti-forgery token of a cookie credential: derived from it, so nothing is stored, and useless
        without the cookie (a page reads it from the session endpoint and sends it as X-CSRF-Token)."""
        return base64.urlsafe_b64encode(self._mac("csrf", token)).decode().rstrip("=")

    def phone_hash(self, phone: str) -> bytes:
        """Keyed hash of a normalised phone number: lookups without storing the number in clear."""
        return self._mac("phone", phone)

    def code_hash(self, scope: str, code: str) -> bytes:
        # One scope per challenge: derived here, not cached like the few fixed purposes.
        return hmac.digest(
            hmac.digest(self.secret, ("code:" + scope).encode(), "sha256"), code.encode(), "sha256"
        )

    def encrypt(self, value: str) -> bytes:
        """Authenticated encryption under the newest key; ASCII bytes (storable as text too)."""
        return self.seal(value.encode())

    def decrypt(self, blob: bytes) -> str:
        return self.unseal(blob).decode()

    def decrypt_or(self, blob: bytes | None, plain: str | None) -> str | None:
        """A value kept as a blob, or in a plain column by rows written before encryption covered it."""
        return self.decrypt(blob) if blob is not None else plain

    def encrypt_or_none(self, value: str | None) -> bytes | None:
        return None if value is None else self.encrypt(value)

    def seal(self, data: bytes) -> bytes:
        """`encrypt` for bytes."""
        key = self.keys[0]
        nonce = os.urandom(12)
        header = _FORMAT + key.kid
        return base64.urlsafe_b64encode(header + nonce + key.aead.encrypt(nonce, data, header))

    def unseal(self, blob: bytes | str) -> bytes:
        """`decrypt` for bytes."""
        try:
            raw = base64.urlsafe_b64decode(blob if isinstance(blob, str) else bytes(blob))
            header, nonce, sealed = raw[:5], raw[5:17], raw[17:]
            key = (
                next(k for k in self.keys if k.kid == header[1:5])
                if header[:1] == _FORMAT
                else None
            )
            if key is None:
                raise InvalidTag
            return key.aead.decrypt(nonce, sealed, header)
        except (InvalidTag, StopIteration, ValueError) as exc:
            raise ValueError(
                "personal data could not be decrypted with any configured key"
            ) from exc

    def reencrypt(self, blob: bytes) -> bytes:
        """Re-encrypt under the newest key (rotation)."""
        return self.encrypt(self.decrypt(blob))

    def sign_path(self, path: str, *, ttl_s: int, now: float | None = None) -> str:
        """A link to `path` that is valid for ttl_s seconds: ?expires=...&sig=..."""
        expires = int((now or time.time()) + ttl_s)
        sig = (
            base64.urlsafe_b64encode(self._mac("link", f"{path}\n{expires}")[:18])
            .decode()
            .rstrip("=")
        )
        sep = "&" if "?" in path else "?"
        return f"{path}{sep}expires={expires}&sig={sig}"

    def verify_path(self, path: str, expires: str, sig: str, *, now: float | None = None) -> bool:
        return self.path_signed(path, expires, sig) and int(expires) >= (now or time.time())

    def path_signed(self, path: str, expires: str, sig: str) -> bool:
        """Whether `sig` signs `path` with this `expires` (expired or not: the caller tells those apart)."""
        try:
            exp = int(expires)
        except ValueError:
            return False
        if not sig.isascii():
            return False
        want = (
            base64.urlsafe_b64encode(self._mac("link", f"{path}\n{exp}")[:18]).decode().rstrip("=")
        )
        return hmac.compare_digest(want, sig)


@lru_cache(maxsize=64)
def _purpose_key(secret: bytes, purpose: str) -> bytes:
    """One HMAC key per purpose, derived from the secret (a handful of purposes: cached)."""
    return hmac.digest(secret, purpose.encode(), "sha256")


def request_hash(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "big"))
        h.update(p)
    return h.digest()
