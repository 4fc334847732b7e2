"""Settings from the environment; refuses default secrets outside development."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-not-a-secret"  # noqa: S105 - the marker refused outside development
# A data key (urlsafe base64 of 32 bytes) that only development may use.
DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktbm90LWZvci1wcm9kISE="
# Standard Webhooks secrets of the court link that only development may use (the simulator knows them too).
DEV_COURT_OUTBOUND_SECRET = "whsec_ZGV2LWNvdXJ0LW91dGJvdW5kLW5vdC1hLXNlY3JldA=="  # noqa: S105
DEV_COURT_INBOUND_SECRET = "whsec_ZGV2LWNvdXJ0LWluYm91bmQtbm90LWEtc2VjcmV0"  # noqa: S105


class Settings(BaseSettings):
    """Everything the service reads from its environment, with KUAICHU_ prefixes."""

    model_config = SettingsConfigDict(env_prefix="KUAICHU_", extra="ignore")
    _derived_base_url: bool = PrivateAttr(default=False)

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8080, validation_alias=AliasChoices("PORT", "KUAICHU_PORT"))
    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL", "KUAICHU_DATABASE_URL"))
    db_pool_min: int = 2
    db_pool_max: int = 10
    db_app_role: str = "kuaichu_app"
    # Report creations run in pipelined batches (kernel.pipeline): at most this many batches at once, each
    # of at most db_batch_max creations; the rest of the pool stays free for everything else.
    db_batch_in_flight: int = Field(2, ge=1)
    db_batch_max: int = Field(32, ge=1)
    var_dir: Path = Path("var")
    log_level: str = "INFO"

    # Secrets: HMAC keys for tokens and phone lookups, data keys for encryption at rest.
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    # Comma-separated AES-256-GCM data keys, newest first: the first encrypts, all decrypt (rotation).
    data_keys: SecretStr = SecretStr(DEV_DATA_KEY)

    # Limits on what a client may send.
    max_json_bytes: int = 256 * 1024
    max_photo_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    max_photos_per_report: int = 30

    # Share codes for party B, one-time codes for phones.
    share_code_ttl_s: int = 24 * 3600
    share_code_max_attempts: int = 10
    otp_ttl_s: int = 300
    otp_max_attempts: int = 5
    otp_sends_per_phone_per_hour: int = 5
    otp_sends_per_ip_per_hour: int = 30
    party_session_ttl_s: int = 30 * 24 * 3600
    # How long a verified token's principal is cached in-process (revocation takes effect within this).
    auth_cache_ttl_s: float = 10.0
    # Lifts every rate limit for benchmark runs only; never set in production.
    bench_disable_rate_limits: bool = False

    # Outbox worker.
    outbox_batch: int = 32
    outbox_concurrency: int = 64
    outbox_poll_s: float = 0.5
    outbox_backoff_base_s: float = 2.0
    outbox_backoff_max_s: float = 3600.0
    outbox_max_attempts: int = 25
    outbox_lease_s: float = 60.0
    http_timeout_s: float = 10.0

    # Assessment routing (issue 5): offer SLA, queue retry and how often `kuaichu worker` sweeps the timers.
    assessment_offer_sla_s: float = 600.0
    assessment_queue_retry_s: float = 60.0
    assessment_sweep_s: float = 5.0

    # SMS: "dev" records messages under var/sms; "http" posts them to a gateway.
    sms_backend: Literal["dev", "http"] = "dev"
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    # Where links in SMS and webhooks point (invitation /join, signed photo links). Unset outside production:
    # http://HOST:PORT of the address and port the service listens on (never a request's Host header).
    public_base_url: str | None = None
    photo_link_ttl_s: int = 7 * 24 * 3600

    # The court platform (PRODUCT.md "Court platform interface"): where packages go, the secret we sign them
    # with, the secret the court signs its callbacks with, and how many 409/425 answers are retried.
    court_url: str = "http://127.0.0.1:8090"
    court_outbound_secret: SecretStr = SecretStr(DEV_COURT_OUTBOUND_SECRET)
    court_inbound_secret: SecretStr = SecretStr(DEV_COURT_INBOUND_SECRET)
    court_timeout_s: float = 10.0
    court_conflict_max_attempts: int = 5

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.get_secret_value() == DEV_SECRET:
                raise ValueError("KUAICHU_SECRET_KEY must be set outside development")
            if DEV_DATA_KEY in self.data_keys.get_secret_value():
                raise ValueError("KUAICHU_DATA_KEYS must be set outside development")
            if self.bench_disable_rate_limits:
                raise ValueError("KUAICHU_BENCH_DISABLE_RATE_LIMITS is for benchmarks, never production")
            if self.court_outbound_secret.get_secret_value() == DEV_COURT_OUTBOUND_SECRET:
                raise ValueError("KUAICHU_COURT_OUTBOUND_SECRET must be set outside development")
            if self.court_inbound_secret.get_secret_value() == DEV_COURT_INBOUND_SECRET:
                raise ValueError("KUAICHU_COURT_INBOUND_SECRET must be set outside development")
            if self.sms_backend == "dev":
                raise ValueError("KUAICHU_SMS_BACKEND=dev records codes in files; use a gateway in production")
        for name in ("court_outbound_secret", "court_inbound_secret"):
            if not getattr(self, name).get_secret_value().startswith("whsec_"):
                raise ValueError(f"KUAICHU_{name.upper()} must be a whsec_ secret (Standard Webhooks)")
        if self.sms_backend == "http" and not self.sms_gateway_url:
            raise ValueError("KUAICHU_SMS_GATEWAY_URL is required with KUAICHU_SMS_BACKEND=http")
        return self

    @model_validator(mode="after")
    def _derive_public_base_url(self) -> Settings:
        if self.public_base_url is None and self.environment != "production":
            self.public_base_url = listening_url(self.host, self.port)
            self._derived_base_url = True
        return self

    def listening_on(self, host: str, port: int) -> Settings:
        """These settings for a server bound to host:port; a derived public base URL follows the new address."""
        update: dict[str, object] = {"host": host, "port": port}
        if self._derived_base_url:
            update["public_base_url"] = listening_url(host, port)
        return self.model_copy(update=update)

    @property
    def photo_dir(self) -> Path:
        return self.var_dir / "photos"

    @property
    def sms_dir(self) -> Path:
        return self.var_dir / "sms"


def listening_url(host: str, port: int) -> str:
    """http://host:port as a browser reaches a server bound there (a wildcard address means this machine)."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"http://{host}:{port}"  # a name, e.g. localhost
    if ip.is_unspecified:
        ip = ipaddress.ip_address("127.0.0.1" if ip.version == 4 else "::1")
    return f"http://[{ip}]:{port}" if ip.version == 6 else f"http://{ip}:{port}"
