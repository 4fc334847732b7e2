"""The evidence bundle: a BagIt archive that the public `bagit` validator and the bundle's own verify.sh
(sha256sum, jq, openssl) accept as exported, and both refuse once one byte of a photo or one field of a
decision is changed."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import aiohttp
import bagit
import pytest

from kernel.audit_chain import run_sealer
from kernel.timestamping import Authority
from kuaichu.db import create_pool
from kuaichu.timestamp_authority import LocalAuthority
from tests.api.fault_steps import A_REAR_ENDS_B, give_accounts, report_with_parties, respond, sign
from tests.api.flows import bearer, create_report, login, new_phone


@pytest.fixture
async def anchored(settings, tmp_path_factory, aiohttp_server, aiohttp_client):
    """The API with a real local time-stamping authority (openssl ts -reply behind aiohttp)."""
    from kuaichu.app import create_app

    tsa = LocalAuthority(tmp_path_factory.mktemp("tsa"))
    server = await aiohttp_server(tsa.app())
    settings = settings.model_copy(
        update={"tsa_url": str(server.make_url("/")), "tsa_ca_file": tsa.ca_file}
    )
    return await aiohttp_client(create_app(settings)), settings


async def _agreed_case(client, settings):
    case = await report_with_parties(client, settings)
    version = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        assert (await respond(client, case, label, version)).status == 200
    for label in ("A", "B"):
        assert (await sign(client, settings, case, label, version)).status == 200
    return case


def _unpack(archive: bytes, into: Path) -> Path:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(into, filter="data")
    [bag] = list(into.iterdir())
    return bag


def _verify_sh(bag: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(bag / "verify.sh")], capture_output=True, text=True, timeout=120, check=False
    )


def _bagit_valid(bag: Path) -> bool:
    try:
        bagit.Bag(str(bag)).validate()
    except bagit.BagValidationError:
        return False
    return True


@pytest.mark.timeout(400)
async def test_an_agreed_case_exports_a_bag_that_bagit_and_verify_sh_accept_and_reject_once_altered(
    anchored, tmp_path
):
    client, settings = anchored
    case = await _agreed_case(client, settings)
    r = await client.get(
        f"/v1/reports/{case.report_id}/evidence-bundle", headers=bearer(case.tokens["B"])
    )
    assert r.status == 200, await r.text()
    assert r.content_type == "application/gzip"
    archive = await r.read()
    assert r.headers["X-Content-SHA256"] == hashlib.sha256(archive).hexdigest()

    bag = _unpack(archive, tmp_path / "clean")
    assert _bagit_valid(bag)
    clean = _verify_sh(bag)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.rstrip().endswith("VERIFIED")
    assert "openssl ts -verify: the timestamp covers the seal head" in clean.stdout
    payload = {
        p.relative_to(bag / "data").as_posix() for p in (bag / "data").rglob("*") if p.is_file()
    }
    assert {
        "agreement/agreement.json",
        "agreement/agreement.pdf",
        "decisions/fault_proposal-v1.json",
        "audit/chain.jsonl",
        "seal/entries.jsonl",
        "seal/anchor.tsr",
        "seal/tsa-ca.crt",
    } <= payload
    originals = sorted((bag / "data/photos/originals").iterdir())
    assert len(originals) >= 3
    decision = json.loads((bag / "data/decisions/fault_proposal-v1.json").read_bytes())
    assert (
        decision["template_set"]["id"] == "national-online" and decision["template_set"]["version"]
    )
    assert {f["party"] for f in decision["facts"]} == {"A", "B"}
    assert decision["result"]["allocations"][0] == {
        "party": "A",
        "liability": "full",
        "share_percent": 100,
    }
    chain = (bag / "data/audit/chain.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line)[1] == case.report_id for line in chain)
    assert not any(case.phones["A"] in line for line in chain)  # no personal data in the chain

    # One byte of a photo.
    photo_bag = _unpack(archive, tmp_path / "photo")
    target = photo_bag / "data/photos/originals" / originals[0].name
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    assert not _bagit_valid(photo_bag)
    out = _verify_sh(photo_bag)
    assert out.returncode == 1 and out.stdout.rstrip().endswith("NOT VERIFIED")
    assert f"FAIL  photo data/photos/originals/{originals[0].name}" in out.stdout

    # One field of a decision, its manifest line recomputed too: the chain still gives it away.
    decision_bag = _unpack(archive, tmp_path / "decision")
    path = decision_bag / "data/decisions/fault_proposal-v1.json"
    altered = json.loads(path.read_bytes())
    altered["result"]["allocations"][0]["share_percent"] = 70
    path.write_bytes(
        json.dumps(altered, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    )
    assert not _bagit_valid(decision_bag)
    out = _verify_sh(decision_bag)
    assert out.returncode == 1
    assert "FAIL  decision data/decisions/fault_proposal-v1.json" in out.stdout
    manifest = decision_bag / "manifest-sha256.txt"
    new_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest.write_text(
        "".join(
            f"{new_hash}  data/decisions/fault_proposal-v1.json\n"
            if line.endswith("fault_proposal-v1.json")
            else line + "\n"
            for line in manifest.read_text().splitlines()
        )
    )
    out = _verify_sh(decision_bag)
    assert (
        out.returncode == 1 and "FAIL  decision data/decisions/fault_proposal-v1.json" in out.stdout
    )


async def test_the_bundle_is_for_the_cases_parties_police_court_and_admins_only(anchored):
    client, settings = anchored
    case = await _agreed_case(client, settings)
    stranger = await login(client, settings.var_dir, new_phone())
    r = await client.get(f"/v1/reports/{case.report_id}/evidence-bundle", headers=bearer(stranger))
    assert r.status == 404
    from tests.api.evidence import staff_token

    court = await staff_token(settings, "court")  # no court case for this report
    r = await client.get(f"/v1/reports/{case.report_id}/evidence-bundle", headers=bearer(court))
    assert r.status == 404
    admin = await staff_token(settings, "admin")
    r = await client.get(f"/v1/reports/{case.report_id}/evidence-bundle", headers=bearer(admin))
    assert r.status == 200
    r = await client.get(f"/v1/reports/{case.report_id}/audit", headers=bearer(admin))
    assert any(e["action"] == "evidence_exported" for e in (await r.json())["events"])


async def test_without_a_time_stamping_authority_the_bundle_is_refused_in_both_languages(
    client, settings
):
    case = await report_with_parties(client, settings)
    r = await client.get(
        f"/v1/reports/{case.report_id}/evidence-bundle", headers=bearer(case.tokens["A"])
    )
    assert r.status == 503
    problem = await r.json()
    assert problem["type"] == "/problems/evidence-no-timestamp-authority"
    assert problem["zh"]["title"] and problem["en"]["title"]


@pytest.mark.timeout(300)
async def test_kuaichu_evidence_export_writes_a_bundle_that_verifies(anchored, tmp_path):
    client, settings = anchored
    case = await _agreed_case(client, settings)
    # The case is sealed, then other events are, and only then is the seal head anchored: the bundle carries
    # the path of seal entries from the case's last event to that anchor.
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        async with aiohttp.ClientSession() as http:
            assert (
                await run_sealer(pool, http, None, anchor_every_s=300, anchor_every_events=10_000)
            ).sealed
            await create_report(client, settings.var_dir)
            later = await run_sealer(
                pool,
                http,
                Authority(settings.tsa_url),
                anchor_every_s=300,
                anchor_every_events=10_000,
                force_anchor=True,
            )
            assert later.anchored is not None
    finally:
        await pool.close()
    env = os.environ | {
        "DATABASE_URL": settings.database_url,
        "KUAICHU_ENVIRONMENT": "test",
        "KUAICHU_TSA_URL": settings.tsa_url,
        "KUAICHU_TSA_CA_FILE": str(settings.tsa_ca_file),
        "KUAICHU_VAR_DIR": str(settings.var_dir),
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "kuaichu.cli",
            "evidence",
            "export",
            case.report_id,
            "--out",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    bag = _unpack(
        (tmp_path / f"kuaichu-evidence-{case.report_id}.tar.gz").read_bytes(), tmp_path / "x"
    )
    assert _bagit_valid(bag)
    out = _verify_sh(bag)
    assert out.returncode == 0, out.stdout
    assert "ok    seal path: 2 entries" in out.stdout
