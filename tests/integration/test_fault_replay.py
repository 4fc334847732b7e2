"""`kuaichu fault replay`: stored proposals re-evaluated against the current template sets, nothing altered."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime, timedelta

from accident.fault import load_shipped_sets, parse_set
from accident.fault_flow_repository import insert_proposal
from accident.fault_proposal import accounts_from_json, decision_json, propose
from accident.fault_repository import record_template_versions
from kuaichu.commands.fault import replay
from kuaichu.db import connect
from tests.api.fault_steps import A_REAR_ENDS_B, give_accounts, report_with_parties

SNAPSHOT = """SELECT (SELECT json_agg(p ORDER BY report_id, version) FROM fault_proposals p)::text,
                     (SELECT json_agg(json_build_object('id', id, 'status', status, 'version', version))
                      FROM reports)::text,
                     (SELECT count(*) FROM audit_events), (SELECT count(*) FROM outbox)"""


def without_q01() -> object:
    """The national set as it might have been before Q01 (rear-end) was added: a different version."""
    data = json.loads(load_shipped_sets()["national-online"].content)
    data["rows"] = [row for row in data["rows"] if row["code"] != "Q01"]
    return parse_set(copy.deepcopy(data))


async def test_replay_prints_what_the_current_set_would_change_and_alters_nothing(client, settings):
    case = await report_with_parties(client, settings)
    state = await give_accounts(client, case, A_REAR_ENDS_B)
    conn = await connect(settings.database_url)
    try:
        old_set = without_q01()
        await record_template_versions(conn, [old_set])
        facts = state["proposal"]["facts"]
        old = decision_json(propose(old_set, accounts_from_json(facts)))
        assert old["outcome"] == "needs_review"
        await insert_proposal(
            conn,
            report_id=case.report_id,
            version=2,
            set_id=old_set.id,
            set_version=old_set.version,
            facts=facts,
            result=old,
            at=datetime.now(UTC),
        )
        before = await conn.fetchrow(SNAPSHOT)
        out = io.StringIO()
        changes = await replay(conn, since=datetime.now(UTC) - timedelta(days=1), out=out)
        after = await conn.fetchrow(SNAPSHOT)
    finally:
        await conn.close()
    assert tuple(before) == tuple(after)
    [change] = changes
    assert change["report_id"] == case.report_id and change["proposal_version"] == 2
    assert change["new"]["result"]["allocations"][0] == {
        "party": "A",
        "liability": "full",
        "share_percent": 100,
    }
    text = out.getvalue()
    assert f"{case.report_id} v2: needs_review (no_scenario)" in text
    assert "→ determined (A full 100, B none 0)" in text
    assert "2 proposal(s)" in text and "1 would change; nothing was altered" in text


async def test_replay_before_any_proposal_reports_nothing_to_change(database_url):
    conn = await connect(database_url)
    try:
        out = io.StringIO()
        assert await replay(conn, since=datetime.now(UTC), out=out) == []
    finally:
        await conn.close()
    assert "0 proposal(s)" in out.getvalue()
