"""Keys for tokens, phone lookups, encryption at rest and signed links; nothing here touches I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def new_token(prefix: str) -> str:
    """A bearer token: a readable prefix (kind) and 256 random bits."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True, slots=True)
class Keyring:
    """HMAC keys derived from one secret, and Fernet keys (newest first) for personal data at rest."""

    secret: bytes
    fernet: MultiFernet

    @classmethod
    def from_settings(cls, secret_key: str, data_keys: str) -> Keyring:
        keys = [k.strip() for k in data_keys.split(",") if k.strip()]
        if not keys:
            raise ValueError("at least one data key is required")
        return cls(secret=secret_key.encode(), fernet=MultiFernet([Fernet(k) for k in keys]))

    def _mac(self, purpose: str, value: str) -> bytes:
        key = hmac.new(self.secret, purpose.encode(), hashlib.sha256).digest()
        return hmac.new(key, value.encode(), hashlib.sha256).digest()

    def token_hash(self, token: str) -> bytes:
        """What the database stores instead of a bearer token or a one-time code."""
        return self._mac("token", token)

    def phone_hash(self, phone: str) -> bytes:
        """Keyed hash of a normalised phone number: lookups without storing the number in clear."""
        return self._mac("phone", phone)

    def code_hash(self, scope: str, code: str) -> bytes:
        return self._mac("code:" + scope, code)

    def encrypt(self, value: str) -> bytes:
        return self.fernet.encrypt(value.encode())

    def decrypt(self, blob: bytes) -> str:
        try:
            return self.fernet.decrypt(bytes(blob)).decode()
        except InvalidToken as exc:
            raise ValueError("personal data could not be decrypted with any configured key") from exc

    def reencrypt(self, blob: bytes) -> bytes:
        """Re-encrypt under the newest key (rotation)."""
        return self.fernet.rotate(bytes(blob))

    def sign_path(self, path: str, *, ttl_s: int, now: float | None = None) -> str:
        """A link to `path` that is valid for ttl_s seconds: ?expires=...&sig=..."""
        expires = int((now or time.time()) + ttl_s)
        sig = base64.urlsafe_b64encode(self._mac("link", f"{path}\n{expires}")[:18]).decode().rstrip("=")
        sep = "&" if "?" in path else "?"
        return f"{path}{sep}expires={expires}&sig={sig}"

    def verify_path(self, path: str, expires: str, sig: str, *, now: float | None = None) -> bool:
        try:
            exp = int(expires)
        except ValueError:
            return False
        if exp < (now or time.time()):
            return False
        want = base64.urlsafe_b64encode(self._mac("link", f"{path}\n{exp}")[:18]).decode().rstrip("=")
        return hmac.compare_digest(want, sig)


def request_hash(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "big"))
        h.update(p)
    return h.digest()
