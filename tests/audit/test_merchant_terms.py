"""Merchant terms: what a platform applies to one merchant, versioned, and who reads them.

A platform records a merchant's commission, promotion eligibility and
listing from a day, with a reason (and, for a delisting say, a
justification from the closed set). Each record is the next version; the
history is read by that platform, by auditors and by the operator only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hutong.client import encode_json
from hutong.protocol.envelope import request_envelope
from tests.harness.assertions import assert_nack
from tests.harness.cast import AUDITOR, JD, JD_BEAUTY, TAOBAO, TEA_HOUSE, TMALL, ok
from tests.harness.networks import Evidence
from tests.harness.openapi import assert_documented, served_document

#: Terms take effect from their declaring day (UTC) on: the switch's today, and a later day.
TODAY = datetime.now(UTC).date()
LATER = (TODAY + timedelta(days=60)).isoformat()

TERMS: dict[str, Any] = {
    "merchant": JD_BEAUTY,
    "commission_bps": 500,
    "promotion_eligible": True,
    "listed": True,
    "valid_from": TODAY.isoformat(),
    "reason": "standard beauty rate",
}


async def test_each_record_is_the_next_version_and_the_platform_reads_its_history(
    evidence: Evidence,
) -> None:
    first = await ok(await evidence.post(TAOBAO, "/v1/merchant-terms", TERMS), 201)
    assert first["version"] == 1 and first["platform"] == TAOBAO
    assert first["justification"] is None
    delisted = TERMS | {
        "listed": False,
        "promotion_eligible": False,
        "valid_from": LATER,
        "reason": "counterfeit reports",
        "justification": {"code": "fraud", "reference": "case 2024-117"},
    }
    second = await ok(await evidence.post(TAOBAO, "/v1/merchant-terms", delisted), 201)
    assert second["version"] == 2
    assert second["justification"] == {"code": "fraud", "reference": "case 2024-117"}

    history = await ok(await evidence.get(TAOBAO, f"/v1/merchant-terms?merchant={JD_BEAUTY}"))
    assert [(t["version"], t["listed"], t["valid_from"]) for t in history] == [
        (1, True, TODAY.isoformat()),
        (2, False, LATER),
    ]
    assert [t["correction"] for t in history] == [None, None]


async def test_back_dated_terms_must_say_they_correct_history(evidence: Evidence) -> None:
    """Terms are evidence (二选一 pressure): a platform cannot quietly rewrite last year's."""
    back_dated = TERMS | {"valid_from": "2021-04-10", "commission_bps": 1200}
    before = await evidence.evidence_rows()
    assert_nack(
        await evidence.post(TAOBAO, "/v1/merchant-terms", back_dated), 422, "valid_from_in_past"
    )
    assert await evidence.evidence_rows() == before

    filed = back_dated | {"correction": {"reason": "the 2021 rate was never recorded"}}
    corrected = await ok(await evidence.post(TAOBAO, "/v1/merchant-terms", filed), 201)
    assert corrected["correction"] == "the 2021 rate was never recorded"
    (shown,) = await ok(await evidence.get(AUDITOR, f"/v1/merchant-terms?platform={TAOBAO}"))
    assert (shown["valid_from"], shown["correction"]) == (
        "2021-04-10",
        "the 2021 rate was never recorded",
    )


async def test_auditors_and_the_operator_read_anyone_s_terms_others_do_not(
    evidence: Evidence,
) -> None:
    await ok(await evidence.post(TAOBAO, "/v1/merchant-terms", TERMS), 201)
    await ok(await evidence.post(JD, "/v1/merchant-terms", TERMS | {"merchant": TEA_HOUSE}), 201)

    audited = await ok(await evidence.get(AUDITOR, f"/v1/merchant-terms?platform={TAOBAO}"))
    assert [t["platform"] for t in audited] == [TAOBAO]
    assert len(await ok(await evidence.get(AUDITOR, "/v1/merchant-terms"))) == 2
    operator = await ok(
        await evidence.switch.operator.get(f"/operator/merchant-terms?merchant={TEA_HOUSE}")
    )
    assert [t["platform"] for t in operator] == [JD]
    # A platform sees only what it applies, even when it asks for another's.
    assert [t["platform"] for t in await ok(await evidence.get(JD, "/v1/merchant-terms"))] == [JD]
    assert_nack(await evidence.get(JD, f"/v1/merchant-terms?platform={TAOBAO}"), 403, "not_yours")
    assert await ok(await evidence.get(TMALL, "/v1/merchant-terms")) == []
    # The merchant itself is not a reader of platforms' terms histories.
    assert_nack(await evidence.get(JD_BEAUTY, "/v1/merchant-terms"), 403, "wrong_role")


async def test_only_a_platform_records_terms(evidence: Evidence) -> None:
    before = await evidence.evidence_rows()
    for sender in (JD_BEAUTY, AUDITOR):
        assert_nack(await evidence.post(sender, "/v1/merchant-terms", TERMS), 403, "wrong_role")
    assert await evidence.evidence_rows() == before


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"commission_bps": 10_001}, 422, "invalid_commission"),
        ({"commission_bps": -1}, 422, "invalid_commission"),
        ({"commission_bps": "500"}, 422, "invalid_request"),
        ({"reason": "   "}, 422, "reason_required"),
        ({"reason": "x" * 1001}, 422, "reason_too_long"),
        # The body names the merchant: 422 no_such_merchant (as order intake's and
        # payments'); unknown_merchant is the 404 of a path or query naming one.
        ({"merchant": "ghost.example"}, 422, "no_such_merchant"),
        ({"merchant": TAOBAO}, 422, "no_such_merchant"),
        ({"justification": {"code": "competition"}}, 422, "invalid_justification"),
        ({"justification": {"code": "fraud", "why": "x"}}, 422, "invalid_request"),
        ({"listed": "no"}, 422, "invalid_request"),
        ({"valid_from": "tomorrow"}, 422, "invalid_request"),
    ],
)
async def test_bad_terms_are_refused_and_nothing_is_recorded(
    evidence: Evidence, changes: dict[str, Any], status: int, code: str
) -> None:
    before = await evidence.evidence_rows()
    response = await evidence.post(TAOBAO, "/v1/merchant-terms", TERMS | changes)
    assert_nack(response, status, code, str(changes))
    assert await evidence.evidence_rows() == before
    assert_documented(await served_document(evidence.http, evidence.switch.url), response)


async def test_a_retried_message_records_once_and_replays_the_answer(evidence: Evidence) -> None:
    body = encode_json(request_envelope(TERMS, message_id="terms-1"))
    first = await evidence.send(TAOBAO, "POST", "/v1/merchant-terms", body)
    again = await evidence.send(TAOBAO, "POST", "/v1/merchant-terms", body)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["x-hutong-replay"] == "true"
    assert len(await ok(await evidence.get(TAOBAO, "/v1/merchant-terms"))) == 1
    other = await evidence.post(
        TAOBAO, "/v1/merchant-terms", TERMS | {"commission_bps": 900}, message_id="terms-1"
    )
    assert_nack(other, 409, "message_id_conflict")
    assert len(await ok(await evidence.get(TAOBAO, "/v1/merchant-terms"))) == 1
