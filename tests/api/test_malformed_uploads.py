"""A malformed photo upload is a 400 problem, not a 500, and a stranger is refused before the body is read."""

from __future__ import annotations

import pytest

from tests.api.flows import bearer, create_report


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            "multipart/form-data",
            b"--x\r\nContent-Disposition: form-data; name=kind\r\n\r\nimpact_point\r\n--x--\r\n",
        ),
        (
            "multipart/form-data; boundary=wrong",
            b"--x\r\nContent-Disposition: form-data; name=kind\r\n\r\nx\r\n--x--",
        ),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\n\xff\xd8',
        ),
    ],
    ids=["no boundary", "wrong boundary", "truncated"],
)
async def test_a_malformed_multipart_upload_is_a_400_problem_in_both_languages(
    client, settings, content_type, body
):
    a = await create_report(client, settings.var_dir)
    r = await client.post(
        f"/v1/reports/{a['report']['id']}/photos",
        data=body,
        headers={**bearer(a["party_token"]), "Content-Type": content_type},
    )
    assert r.status == 400, await r.text()
    problem = await r.json()
    assert problem["type"] == "/problems/malformed-multipart"
    assert (
        "重新上传" in problem["zh"]["detail"]
        and "upload the photo again" in problem["en"]["detail"]
    )
    view = await (
        await client.get(f"/v1/reports/{a['report']['id']}", headers=bearer(a["party_token"]))
    ).json()
    assert view["photos"] == []


async def test_a_stranger_is_refused_before_the_body_is_read(client, settings):
    a = await create_report(client, settings.var_dir)
    other = await create_report(client, settings.var_dir)
    r = await client.post(
        f"/v1/reports/{a['report']['id']}/photos",
        data=b"not multipart at all",
        headers={**bearer(other["party_token"]), "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert (
        r.status == 404
    )  # not 400: nothing about the body is looked at for someone who may not upload
