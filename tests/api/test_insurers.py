"""A driver's app lists the insurers to choose from, without logging in, and may cache the list."""

from __future__ import annotations

import json
from pathlib import Path

from tests.api.flows import create_report, party

FIXTURE_INSURERS = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "reference" / "insurers.json").read_text()
)


async def test_anyone_lists_every_insurer_by_code_and_name_and_nothing_else(client):
    r = await client.get("/v1/insurers")
    assert r.status == 200
    insurers = (await r.json())["insurers"]
    assert [i["code"] for i in insurers] == sorted(i["code"] for i in FIXTURE_INSURERS)
    assert all(set(i) == {"code", "name", "name_en"} for i in insurers)  # no webhook URL or secret
    picc = next(i for i in insurers if i["code"] == "PICC")
    assert picc["name"] == "中国人民财产保险股份有限公司"
    assert "max-age" in r.headers["Cache-Control"] and r.headers["ETag"]


async def test_an_unchanged_list_is_revalidated_with_its_etag(client):
    first = await client.get("/v1/insurers")
    again = await client.get("/v1/insurers", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304 and await again.read() == b""
    stale = await client.get("/v1/insurers", headers={"If-None-Match": '"something-else"'})
    assert stale.status == 200


async def test_a_code_from_the_list_is_one_a_report_accepts(client, settings):
    code = (await (await client.get("/v1/insurers")).json())["insurers"][-1]["code"]
    created = await create_report(
        client, settings.var_dir, "13900000077", party=party("13900000077", insurer=code)
    )
    assert created["report"]["parties"][0]["insurance"]["insurer_code"] == code
