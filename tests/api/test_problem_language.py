"""A driver who sends something wrong reads, per field, what is wrong and what to do, in Chinese or English."""

from __future__ import annotations

from tests.api.flows import bearer, login, new_phone, report_body


async def test_each_invalid_field_says_what_to_do_in_chinese_and_in_english(client, settings):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    body = report_body(phone)
    body["party"]["vehicle"]["plate"] = "ABC12345"
    del body["weather"]
    r = await client.post("/v1/reports", json=body, headers=bearer(session))
    assert r.status == 422
    problem = await r.json()
    by_pointer = {e["pointer"]: e for e in problem["errors"]}
    assert set(by_pointer) == {"#/party/vehicle/plate", "#/weather"}
    plate = by_pointer["#/party/vehicle/plate"]
    assert plate["detail"] == plate["zh"] and "号牌" in plate["zh"] and "浙A12345" in plate["zh"]
    assert "plate" in plate["en"] and "Value error" not in plate["en"]
    assert by_pointer["#/weather"]["zh"] == "必填项，请填写"
    assert (
        "#/weather：必填项，请填写" in problem["detail"]
        and "Field required" not in problem["detail"]
    )
    assert "Required: please fill it in" in problem["en"]["detail"]

    r = await client.post(
        "/v1/reports", json=body, headers={**bearer(session), "Accept-Language": "en-GB,en"}
    )
    problem = await r.json()
    assert (
        problem["title"] == "Invalid input"
        and "#/weather: Required: please fill it in" in problem["detail"]
    )
    assert {e["detail"] for e in problem["errors"]} == {e["en"] for e in problem["errors"]}


async def test_a_choice_outside_the_list_names_the_choices(client, settings):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    body = report_body(phone, weather="tornado")
    r = await client.post("/v1/reports", json=body, headers=bearer(session))
    [error] = (await r.json())["errors"]
    assert (
        error["pointer"] == "#/weather"
        and "请从以下选择" in error["zh"]
        and "'clear'" in error["zh"]
    )
    assert "pick one of" in error["en"]
