"""Settings from the environment; refuses default secrets outside development."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
from collections import Counter
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from court_bridge.service import LINK_TTL_S as COURT_LINK_TTL_S

DEV_SECRET = "dev-only-not-a-secret"  # noqa: S105 - the marker refused outside development
# A data key (urlsafe base64 of 32 bytes) that only development may use.
DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktbm90LWZvci1wcm9kISE="
# Standard Webhooks secrets of the court link that only development may use (the simulator knows them too).
DEV_COURT_OUTBOUND_SECRET = "whsec_ZGV2LWNvdXJ0LW91dGJvdW5kLW5vdC1hLXNlY3JldA=="  # noqa: S105
DEV_COURT_INBOUND_SECRET = "whsec_ZGV2LWNvdXJ0LWluYm91bmQtbm90LWEtc2VjcmV0"  # noqa: S105
# What a photo link must last after a webhook's last possible attempt: a week for the receiver to fetch.
LINK_GRACE_S = 7 * 24 * 3600

# What production asks of its secrets: a secret key of at least 32 bytes holding at least 128 bits by its own
# character frequencies (refuses "aaaa…", "abab…", short words); data keys of exactly 32 bytes with at least
# 16 distinct byte values (32 random bytes have fewer with probability below 1e-9); court secrets of at least
# 24 bytes. Generate with: python -c "import secrets; print(secrets.token_urlsafe(32))" (secret key),
# python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())" (data key),
# python -c "import base64, os; print('whsec_' + base64.b64encode(os.urandom(32)).decode())" (court).
MIN_SECRET_KEY_BYTES = 32
MIN_SECRET_KEY_BITS = 128.0
MIN_DISTINCT_KEY_BYTES = 16
MIN_COURT_SECRET_BYTES = 24


class Settings(BaseSettings):
    """Everything the service reads from its environment, with KUAICHU_ prefixes."""

    model_config = SettingsConfigDict(env_prefix="KUAICHU_", extra="ignore")
    _derived_base_url: bool = PrivateAttr(default=False)

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8080, validation_alias=AliasChoices("PORT", "KUAICHU_PORT"))
    # The service's login (the role kuaichu_app: owns nothing, cannot become the owner) and the owner's, which
    # only `kuaichu migrate` uses. `kuaichu up` derives both in development (README, "Database roles").
    database_url: str | None = Field(
        None, validation_alias=AliasChoices("DATABASE_URL", "KUAICHU_DATABASE_URL")
    )
    migrate_database_url: str | None = None
    db_pool_min: int = 2
    db_pool_max: int = 10
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
    # Pixels of a JPEG that libjpeg decodes scaled down (a baseline JPEG), and of an image decoded in full
    # (PNG, progressive or multi-scan JPEG); both keep one derivative job under image_job_memory_mb.
    max_image_pixels: int = Field(50_000_000, ge=1)
    max_full_decode_pixels: int = Field(16_000_000, ge=1)
    max_photos_per_report: int = Field(30, ge=1)
    max_photo_bytes_per_report: int = Field(200 * 1024 * 1024, ge=1)
    # Photo writes a crash interrupted leave `.part` files; the worker removes those older than this.
    photo_part_stale_s: float = Field(3600.0, gt=0)
    # A resumable photo upload not completed within this long expires; the worker deletes its bytes.
    photo_upload_ttl_s: int = Field(24 * 3600, ge=60)
    # Drafts a driver's pages save (before a report exists, and per party) are deleted this long after their
    # last change.
    draft_ttl_s: int = Field(7 * 24 * 3600, ge=60)

    # Share codes for party B, one-time codes for phones.
    share_code_ttl_s: int = 24 * 3600
    share_code_max_attempts: int = 10
    otp_ttl_s: int = 300
    otp_max_attempts: int = 5
    # Rate limits (sliding windows, README "Rate limits"). Login codes per phone and per client address:
    otp_sends_per_phone_per_minute: int = Field(1, ge=1)
    otp_sends_per_phone_per_hour: int = Field(5, ge=1)
    otp_sends_per_phone_per_day: int = Field(10, ge=1)
    otp_sends_per_ip_per_hour: int = Field(30, ge=1)
    # Signing codes per party of a report; report creations and SMS invitations per phone (all its sessions).
    signing_codes_per_party_per_hour: int = Field(5, ge=1)
    reports_per_phone_per_hour: int = Field(3, ge=1)
    invitations_per_phone_per_hour: int = Field(3, ge=1)
    party_session_ttl_s: int = 30 * 24 * 3600
    # A party token stops working this many days after its report finished (accident.model.FINISHED).
    party_token_retention_days: float = Field(90.0, ge=0)
    # How long a verified token's principal is cached in-process, counted from the moment its lookup started:
    # a revocation committed this long before a request is seen by every process. At most 1 s.
    auth_cache_ttl_s: float = Field(1.0, ge=0, le=1.0)
    # Browsers: the other party's session on a driver's phone (one-phone mode) lasts at most this long.
    second_party_session_ttl_s: int = Field(30 * 60, ge=60)
    # Staff sign-in: a session ends after staff_session_ttl_s, or staff_idle_s without a request; an enrolment
    # link is good for staff_enrolment_ttl_s; staff_lock_failures failed sign-ins in a row lock the account
    # for staff_lock_s.
    staff_session_ttl_s: int = Field(12 * 3600, ge=60)
    staff_idle_s: int = Field(30 * 60, ge=60)
    staff_enrolment_ttl_s: int = Field(24 * 3600, ge=60)
    staff_lock_failures: int = Field(5, ge=1)
    staff_lock_s: int = Field(15 * 60, ge=1)
    staff_sign_in_failures_per_address_per_hour: int = Field(30, ge=1)
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
    # The worker's memory: its resident size stays within worker_memory_mb by running at most
    # (worker_memory_mb - worker_reserved_mb) // image_job_memory_mb photo derivative jobs at once (at least
    # one), whatever outbox_concurrency is. image_job_memory_mb is what the worst image the pixel limits
    # allow needs (192 MB with the default pixel limits; raise it with them); worker_reserved_mb covers
    # the process itself and every other message in flight.
    worker_memory_mb: int = Field(1536, ge=1)
    worker_reserved_mb: int = Field(512, ge=0)
    image_job_memory_mb: int = Field(192, ge=1)

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
    # Photo links in insurer webhooks and reads. A webhook's body (its links included) is fixed when queued, so
    # a link must outlast the whole retry schedule and leave the receiver a week after the last attempt.
    photo_link_ttl_s: int = 14 * 24 * 3600

    # The court platform (PRODUCT.md "Court platform interface"): where packages go, the secret we sign them
    # with, the secret the court signs its callbacks with, and how many 409/425 answers are retried.
    # Anomaly signals (README "Anomaly signals"): a photo is flagged as a near-duplicate of another report's when
    # some crop of each is within these many differing bits of pHash and of dHash (64 bits each).
    anomaly_phash_max_bits: int = Field(8, ge=0, le=32)
    anomaly_dhash_max_bits: int = Field(10, ge=0, le=32)

    # Prometheus metrics (kuaichu/metrics.py, README "Metrics") on listeners of their own, never the API's port:
    # the API's on metrics_host:metrics_port, the worker's on metrics_host:worker_metrics_port (empty: none).
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = 9464
    worker_metrics_port: int | None = 9465

    # The tamper-evident audit trail (README, "Audit chain"): the worker seals committed events every
    # audit_seal_interval_s and anchors the seal head with an RFC 3161 timestamp from the authority at tsa_url
    # every audit_anchor_every_s or audit_anchor_every_events sealed events, whichever comes first (no anchors
    # without a URL). `kuaichu up` runs a local authority (`kuaichu tsa-sim`, development only) on tsa_url, whose
    # root certificate is var/tsa/ca.crt; tsa_ca_file is what `kuaichu audit verify` trusts.
    tsa_url: str | None = None
    tsa_ca_file: Path | None = None
    tsa_timeout_s: float = Field(10.0, gt=0)
    audit_seal_interval_s: float = Field(1.0, gt=0)
    audit_anchor_every_s: float = Field(300.0, gt=0)
    audit_anchor_every_events: int = Field(10_000, ge=1)
    court_url: str = "http://127.0.0.1:8090"
    court_outbound_secret: SecretStr = SecretStr(DEV_COURT_OUTBOUND_SECRET)
    court_inbound_secret: SecretStr = SecretStr(DEV_COURT_INBOUND_SECRET)
    court_timeout_s: float = 10.0
    court_conflict_max_attempts: int = 5
    # The court's callbacks are small: a larger body is refused (413) before it is read, and a body that has
    # not fully arrived this many seconds after the headers is answered 408 (a trickling client holds nothing).
    court_callback_max_bytes: int = Field(64 * 1024, ge=1024)
    court_callback_read_timeout_s: float = Field(10.0, gt=0)

    # The staff workbench. A police review is due this long after it opened: 程序规定 §24 gives three days to
    # make the determination when it cannot be made on the spot. An inquiry or complaint is due by the end of
    # this many working days after it came in (counted as claims deadlines are, over the holiday calendar).
    police_review_sla_s: float = Field(3 * 86_400.0, gt=0)
    inquiry_answer_working_days: int = Field(1, ge=1, le=30)
    inquiries_per_party_per_hour: int = Field(5, ge=1)
    # The worker writes its heartbeat this often; operators see a worker as stalled after three missed beats.
    worker_heartbeat_s: float = Field(10.0, gt=0)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production":
            _refuse_weak_production_settings(self)
        for name in ("court_outbound_secret", "court_inbound_secret"):
            if not getattr(self, name).get_secret_value().startswith("whsec_"):
                raise ValueError(
                    f"KUAICHU_{name.upper()} must be a whsec_ secret (Standard Webhooks)"
                )
        self._links_outlast_retries()
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
    def image_job_slots(self) -> int:
        """How many photo derivative jobs the worker runs at once."""
        return max(1, (self.worker_memory_mb - self.worker_reserved_mb) // self.image_job_memory_mb)

    @property
    def retry_schedule_s(self) -> float:
        """The longest an outbox message can take from its first attempt to its last (every wait at the longest
        back-off)."""
        return self.outbox_max_attempts * self.outbox_backoff_max_s

    def _links_outlast_retries(self) -> None:
        need = self.retry_schedule_s + LINK_GRACE_S
        # The court's links (a fixed, longer lifetime) are held to the same rule.
        for name, ttl in (
            ("KUAICHU_PHOTO_LINK_TTL_S", self.photo_link_ttl_s),
            ("The court's link lifetime", COURT_LINK_TTL_S),
        ):
            if ttl < need:
                raise ValueError(
                    f"{name} ({ttl} s) must be at least the retry schedule "
                    f"(KUAICHU_OUTBOX_MAX_ATTEMPTS x KUAICHU_OUTBOX_BACKOFF_MAX_S = "
                    f"{self.retry_schedule_s:g} s) plus 7 days ({need:g} s)"
                )

    @property
    def photo_dir(self) -> Path:
        return self.var_dir / "photos"

    @property
    def upload_dir(self) -> Path:
        """Spool files of unfinished resumable photo uploads."""
        return self.photo_dir / "uploads"

    @property
    def sms_dir(self) -> Path:
        return self.var_dir / "sms"


def _refuse_weak_production_settings(s: Settings) -> None:
    """Production accepts only strong secrets, https endpoints and an explicit public address."""
    secret = s.secret_key.get_secret_value()
    if secret == DEV_SECRET or len(secret.encode()) < MIN_SECRET_KEY_BYTES:
        raise ValueError(
            f"KUAICHU_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes of random text "
            "in production"
        )
    if _entropy_bits(secret) < MIN_SECRET_KEY_BITS:
        raise ValueError(
            "KUAICHU_SECRET_KEY is too predictable (under 128 bits by its own character frequencies);"
            " use random text such as secrets.token_urlsafe(32)"
        )
    keys = [k.strip() for k in s.data_keys.get_secret_value().split(",") if k.strip()]
    if not keys:
        raise ValueError("KUAICHU_DATA_KEYS must be set in production")
    for position, key in enumerate(keys, 1):
        raw = _b64(key, urlsafe=True)
        if raw is None or len(raw) != 32:
            raise ValueError(
                f"KUAICHU_DATA_KEYS key {position} must be the urlsafe base64 of exactly 32 bytes"
            )
        if key == DEV_DATA_KEY or len(set(raw)) < MIN_DISTINCT_KEY_BYTES:
            raise ValueError(
                f"KUAICHU_DATA_KEYS key {position} is a development or patterned key; use 32 random bytes"
            )
    for name, dev in (
        ("court_outbound_secret", DEV_COURT_OUTBOUND_SECRET),
        ("court_inbound_secret", DEV_COURT_INBOUND_SECRET),
    ):
        value = getattr(s, name).get_secret_value()
        raw = (
            _b64(value.removeprefix("whsec_"), urlsafe=False)
            if value.startswith("whsec_")
            else None
        )
        if value == dev or raw is None or len(raw) < MIN_COURT_SECRET_BYTES or len(set(raw)) < 2:
            raise ValueError(
                f"KUAICHU_{name.upper()} must be whsec_ and the base64 of at least "
                f"{MIN_COURT_SECRET_BYTES} random bytes in production"
            )
    if s.bench_disable_rate_limits:
        raise ValueError("KUAICHU_BENCH_DISABLE_RATE_LIMITS is for benchmarks, never production")
    if s.sms_backend == "dev":
        raise ValueError(
            "KUAICHU_SMS_BACKEND=dev records codes in files; use a gateway in production"
        )
    if "public_base_url" not in s.model_fields_set:
        raise ValueError(
            "KUAICHU_PUBLIC_BASE_URL is required in production (the https address drivers' links use)"
        )
    for name in ("public_base_url", "court_url", "sms_gateway_url"):
        url = getattr(s, name)
        if url is not None and not _is_https(url):
            raise ValueError(
                f"KUAICHU_{name.upper()} must be an https:// URL in production (got {url!r})"
            )


def _entropy_bits(text: str) -> float:
    """Shannon entropy of the text's own character frequencies, times its length."""
    counts = Counter(text)
    n = len(text)
    return -n * sum(c / n * math.log2(c / n) for c in counts.values())


def _b64(text: str, *, urlsafe: bool) -> bytes | None:
    """Strict base64 (no stray characters silently dropped), in the urlsafe alphabet or the standard one."""
    if urlsafe:
        text = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text.encode(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _is_https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname)


def listening_url(host: str, port: int) -> str:
    """http://host:port as a browser reaches a server bound there (a wildcard address means this machine)."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"http://{host}:{port}"  # a name, e.g. localhost
    if ip.is_unspecified:
        ip = ipaddress.ip_address("127.0.0.1" if ip.version == 4 else "::1")
    return f"http://[{ip}]:{port}" if ip.version == 6 else f"http://{ip}:{port}"
