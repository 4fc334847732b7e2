"""Production refuses weak secrets, plain-http endpoints and a missing public address, naming the variable."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

import pydantic
import pytest

from kuaichu.settings import DEV_DATA_KEY, Settings


def _whsec(n: int = 32) -> str:
    return "whsec_" + base64.b64encode(os.urandom(n)).decode()


def _data_key(raw: bytes | None = None) -> str:
    return base64.urlsafe_b64encode(raw if raw is not None else os.urandom(32)).decode()


def production(**overrides: object) -> dict[str, object]:
    good: dict[str, object] = {
        "environment": "production",
        "secret_key": secrets.token_urlsafe(32),
        "data_keys": _data_key(),
        "sms_backend": "http",
        "sms_gateway_url": "https://sms.example.invalid/send",
        "court_outbound_secret": _whsec(),
        "court_inbound_secret": _whsec(),
        "public_base_url": "https://kuaichu.example.invalid",
        "court_url": "https://court.example.invalid",
    }
    good.update(overrides)
    return good


def test_a_fully_configured_production_is_accepted():
    s = Settings(**production())
    assert s.public_base_url == "https://kuaichu.example.invalid"


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"secret_key": "x"}, "KUAICHU_SECRET_KEY"),
        ({"secret_key": "a" * 64}, "KUAICHU_SECRET_KEY"),
        ({"secret_key": "ab" * 32}, "KUAICHU_SECRET_KEY"),
        ({"secret_key": "dev-only-not-a-secret"}, "KUAICHU_SECRET_KEY"),
        ({"data_keys": _data_key(bytes(32))}, "KUAICHU_DATA_KEYS"),
        ({"data_keys": _data_key(b"\x07" * 32)}, "KUAICHU_DATA_KEYS"),
        ({"data_keys": _data_key(os.urandom(16))}, "KUAICHU_DATA_KEYS"),
        ({"data_keys": DEV_DATA_KEY}, "KUAICHU_DATA_KEYS"),
        ({"data_keys": f"{_data_key()},{DEV_DATA_KEY}"}, "KUAICHU_DATA_KEYS"),
        ({"data_keys": "not base64 at all!"}, "KUAICHU_DATA_KEYS"),
        (
            {"court_outbound_secret": "whsec_" + base64.b64encode(b"k").decode()},
            "KUAICHU_COURT_OUTBOUND_SECRET",
        ),
        ({"court_inbound_secret": _whsec(16)}, "KUAICHU_COURT_INBOUND_SECRET"),
        (
            {"court_inbound_secret": "whsec_" + base64.b64encode(bytes(32)).decode()},
            "KUAICHU_COURT_INBOUND_SECRET",
        ),
        ({"court_url": "http://court.example.invalid"}, "KUAICHU_COURT_URL"),
        ({"public_base_url": "http://kuaichu.example.invalid"}, "KUAICHU_PUBLIC_BASE_URL"),
        ({"sms_gateway_url": "http://sms.example.invalid/send"}, "KUAICHU_SMS_GATEWAY_URL"),
    ],
)
def test_production_refuses_a_weak_secret_or_plain_http_naming_the_variable(overrides, variable):
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings(**production(**overrides))
    assert variable in str(caught.value)
    Settings(
        **{**production(**overrides), "environment": "development"}
    )  # development takes anything


def test_production_requires_the_public_base_url_to_be_set():
    good = production()
    del good["public_base_url"]
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings(**good)
    assert "KUAICHU_PUBLIC_BASE_URL" in str(caught.value)


def test_production_reads_the_public_base_url_from_the_environment(monkeypatch):
    for key, value in production().items():
        monkeypatch.setenv(f"KUAICHU_{key.upper()}", str(value))
    assert Settings().public_base_url == "https://kuaichu.example.invalid"


def test_the_development_launcher_refuses_to_run_in_production(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("KUAICHU_") and k != "DATABASE_URL"
    }
    env.update({f"KUAICHU_{k.upper()}": str(v) for k, v in production().items()})
    # Were it to start, it would fail at once on this database instead of launching anything.
    env.update(
        {"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "KUAICHU_VAR_DIR": str(tmp_path)}
    )
    done = subprocess.run(
        [sys.executable, "-m", "kuaichu.cli", "up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "KUAICHU_ENVIRONMENT=production" in done.stderr
    assert "kuaichu up" in done.stderr
    assert not (tmp_path / "pgdata").exists()


def test_verified_tokens_may_not_be_cached_longer_than_the_one_second_revocation_bound():
    assert Settings().auth_cache_ttl_s <= 1.0
    with pytest.raises(pydantic.ValidationError):
        Settings(auth_cache_ttl_s=10)
