"""The findings API: who may read the audit, what it answers, and that it is deterministic.

Worlds are built through the public API: the operator declares groups, a
host declares a standing storefront policy that refuses merchants by their
home platform, and an auditor asks for the window's findings.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from hutong.audit.checks import IMPLEMENTED
from tests.harness.cast import AUDITOR, JD, TAOBAO, TEA_HOUSE, TMALL, ok
from tests.harness.networks import Evidence
from tests.harness.signed import now_unix, send

KEYS = {"id", "check", "subject", "against", "surface", "metric", "n", "p_value", "since"}
KEYS |= {"rule", "evidence", "summary"}


def window(net: Evidence) -> tuple[date, date]:
    today = net.switch.services.clock().date()
    return today, today + timedelta(days=1)


def findings_path(net: Evidence, **extra: str) -> str:
    start, end = window(net)
    query = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"/v1/audit/findings?from={start}&to={end}{query}"


async def refuse_by_home(net: Evidence, *homes: str, justification: str | None = None) -> None:
    """Taobao declares: refuse every storefront of merchants at home on `homes`."""
    await ok(await net.group("alibaba", TAOBAO, TMALL), 201)
    await ok(await net.group("jd", JD), 201)
    rule: dict[str, Any] = {
        "decision": "refuse",
        "home_platforms": list(homes),
        "valid_from": window(net)[0].isoformat(),
        "reason": "not hosted here",
    }
    if justification is not None:
        rule["justification"] = {"code": justification, "reference": "case-1"}
    answer = await net.post(TAOBAO, "/v1/storefront-policies", rule)
    assert answer.status_code == 201, answer.text


async def test_an_auditor_reads_a_standing_refusal_of_a_rival_home_platform(
    evidence: Evidence,
) -> None:
    await refuse_by_home(evidence, JD)

    report = await ok(await evidence.get(AUDITOR, findings_path(evidence)))

    start, end = window(evidence)
    assert report["window"] == {"from": start.isoformat(), "to": end.isoformat()}
    assert report["checks_run"] == len(IMPLEMENTED)
    assert report["inconclusive"] == []
    [finding] = report["findings"]
    assert set(finding) == KEYS
    assert finding["check"] == "storefront_refusal"
    assert finding["subject"] == TAOBAO
    assert finding["against"] == ["jd"]
    assert finding["since"] == start.isoformat()
    assert finding["summary"].startswith("Indicator of possible refusal to deal")
    assert "not a legal finding" in finding["summary"]
    assert "E-Commerce Law Art. 35" in finding["rule"]
    assert finding["evidence"] == {"count": 1, "sample": ["policy:1"]}


async def test_the_same_data_gives_the_same_findings_with_the_same_ids(evidence: Evidence) -> None:
    await refuse_by_home(evidence, JD)
    first = await ok(await evidence.get(AUDITOR, findings_path(evidence)))
    again = await ok(await evidence.get(AUDITOR, findings_path(evidence)))
    operator = await ok(
        await evidence.switch.operator.get(findings_path(evidence).replace("/v1", "/operator"))
    )
    assert first == again == operator
    assert first["findings"][0]["id"].startswith("af_")


async def test_a_refusal_applied_to_the_own_group_too_is_not_a_finding(evidence: Evidence) -> None:
    await refuse_by_home(evidence, JD, TMALL, justification="quality")
    report = await ok(await evidence.get(AUDITOR, findings_path(evidence)))
    assert report["findings"] == []


async def test_a_justified_refusal_of_rivals_only_is_a_finding_that_shows_the_justification(
    evidence: Evidence,
) -> None:
    await refuse_by_home(evidence, JD, justification="legal")
    [finding] = (await ok(await evidence.get(AUDITOR, findings_path(evidence))))["findings"]
    assert "justification: legal" in finding["summary"]


async def test_filters_keep_only_the_subject_or_check_asked_for(evidence: Evidence) -> None:
    await refuse_by_home(evidence, JD)
    mine = await ok(await evidence.get(AUDITOR, findings_path(evidence, subject=TAOBAO)))
    other = await ok(await evidence.get(AUDITOR, findings_path(evidence, subject=JD)))
    links = await ok(await evidence.get(AUDITOR, findings_path(evidence, check="link_blocking")))
    assert len(mine["findings"]) == 1
    assert other["findings"] == [] and links["findings"] == []
    unknown = await evidence.get(AUDITOR, findings_path(evidence, check="no_such_check"))
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_check"


async def test_the_evidence_behind_a_finding_is_the_declared_policy(evidence: Evidence) -> None:
    await refuse_by_home(evidence, JD)
    [finding] = (await ok(await evidence.get(AUDITOR, findings_path(evidence))))["findings"]

    page = await ok(await evidence.get(AUDITOR, f"/v1/audit/evidence/{finding['id']}"))

    assert page["finding"] == finding
    assert page["total"] == 1
    [record] = page["records"]
    assert record["host"] == TAOBAO and record["version"] == 1
    missing = await evidence.get(
        AUDITOR, "/v1/audit/evidence/af_20250101_20250102_0123456789abcdef"
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_finding"
    # An id that is no finding id names no finding either: the same 404, not a 422.
    garbled = await evidence.get(AUDITOR, "/v1/audit/evidence/nonsense")
    assert garbled.status_code == 404
    assert garbled.json()["error"]["code"] == "unknown_finding"


@pytest.mark.parametrize("reader", [TAOBAO, JD, TEA_HOUSE])
async def test_platforms_and_merchants_hear_nothing_of_the_audit(
    evidence: Evidence, reader: str
) -> None:
    await refuse_by_home(evidence, JD)
    for path in (
        findings_path(evidence),
        "/v1/audit/evidence/af_20250101_20250102_0123456789abcdef",
    ):
        answer = await evidence.get(reader, path)
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "wrong_role"


async def test_a_window_must_end_after_it_starts(evidence: Evidence) -> None:
    start, _ = window(evidence)
    answer = await evidence.get(AUDITOR, f"/v1/audit/findings?from={start}&to={start}")
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_window"


async def test_the_signature_covers_the_query_string(evidence: Evidence) -> None:
    auditor = await evidence.client(AUDITOR)
    signed_for = findings_path(evidence)
    now = now_unix(evidence.switch)
    header = auditor.signer.for_request("GET", signed_for, b"", now, now + 60)
    same = await send(
        evidence.switch, None, b"", method="GET", path=signed_for, authorization=header
    )
    assert same.status_code == 200, same.text
    other = await send(
        evidence.switch,
        None,
        b"",
        method="GET",
        path=findings_path(evidence, subject=TAOBAO),
        authorization=header,
    )
    assert other.status_code == 401, other.text
