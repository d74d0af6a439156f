"""Justifications: a refusal may say why, from a closed set, with a reference.

`fraud`, `safety`, `legal`, `quality` or `capacity`, and where to check it.
A storefront refusal (by the host or by a standing policy version), a
delisting in merchant terms (tests/audit/test_merchant_terms.py) and a
participant's refusal of a decision call (tests/audit/test_decision_calls.py)
carry one; anything outside the set is refused and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hutong.protocol.errors import ValidationError
from hutong.protocol.justifications import (
    JUSTIFICATION_CODES,
    Justification,
    JustificationCode,
    parse_justification,
)
from tests.harness.assertions import assert_nack
from tests.harness.cast import DOUYIN, TAOBAO, TEA_HOUSE, ok
from tests.harness.commerce import ask, offer, publish
from tests.harness.networks import Evidence

#: Declarations take effect from their declaring day (UTC) on: the switch's today.
TODAY = datetime.now(UTC).date().isoformat()

# -- the closed set ---------------------------------------------------------------------------


def test_the_set_is_closed_and_a_reference_is_optional() -> None:
    assert JUSTIFICATION_CODES == ("fraud", "safety", "legal", "quality", "capacity")
    for code in JUSTIFICATION_CODES:
        assert parse_justification({"code": code}) == Justification(JustificationCode(code), "")
    assert parse_justification(None) is None
    assert parse_justification({"code": "legal", "reference": " 国市监处〔2021〕28号 "}) == (
        Justification(JustificationCode.LEGAL, "国市监处〔2021〕28号")
    )


@pytest.mark.parametrize(
    "given",
    [
        {"code": "competition"},
        {"code": "FRAUD"},
        {"code": None},
        {},
        {"code": "fraud", "reference": 7},
        {"code": "fraud", "reference": "x" * 513},
        {"code": "fraud", "note": "extra"},
        "fraud",
    ],
)
def test_anything_else_is_refused(given: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_justification(given)
    assert caught.value.code == "invalid_justification"


# -- storefront refusals ----------------------------------------------------------------------


@pytest.fixture
async def requested(evidence: Evidence) -> str:
    """Tea House asks Douyin for a storefront; its id."""
    await publish(evidence[TEA_HOUSE], offer("longjing", category="tea"))
    return str((await ok(await ask(evidence[TEA_HOUSE], DOUYIN, {"longjing": 12800}), 201))["id"])


async def test_a_host_s_refusal_carries_its_justification(
    evidence: Evidence, requested: str
) -> None:
    refused = await ok(
        await evidence.post(
            DOUYIN,
            f"/v1/storefronts/{requested}/refuse",
            {
                "reason": "three counterfeit reports",
                "justification": {"code": "fraud", "reference": "case 88"},
            },
        )
    )
    assert refused["status"] == "refused"
    assert refused["justification"] == {"code": "fraud", "reference": "case 88"}
    shown = await ok(await evidence.get(TEA_HOUSE, f"/v1/storefronts/{requested}"))
    assert shown["justification"] == {"code": "fraud", "reference": "case 88"}


@pytest.mark.parametrize(
    ("action", "justification"),
    [("refuse", {"code": "we-compete"}), ("approve", {"code": "quality"})],
)
async def test_a_bad_or_misplaced_justification_is_refused_and_decides_nothing(
    evidence: Evidence, requested: str, action: str, justification: dict[str, str]
) -> None:
    before = await evidence.evidence_rows()
    response = await evidence.post(
        DOUYIN,
        f"/v1/storefronts/{requested}/{action}",
        {"reason": "no", "justification": justification},
    )
    assert_nack(response, 422, "invalid_justification")
    assert await evidence.evidence_rows() == before
    still = await ok(await evidence.get(TEA_HOUSE, f"/v1/storefronts/{requested}"))
    assert (still["status"], still["justification"]) == ("requested", None)


async def test_a_policy_version_s_justification_goes_with_the_refusals_it_decides(
    evidence: Evidence,
) -> None:
    rule = {
        "decision": "refuse",
        "valid_from": TODAY,
        "categories": ["tea"],
        "reason": "tea needs a food licence",
        "justification": {"code": "legal", "reference": "食品经营许可"},
    }
    declared = await ok(await evidence.post(DOUYIN, "/v1/storefront-policies", rule), 201)
    assert declared["justification"] == {"code": "legal", "reference": "食品经营许可"}
    await publish(evidence[TEA_HOUSE], offer("longjing", category="tea"))
    refused = await ok(await ask(evidence[TEA_HOUSE], DOUYIN, {"longjing": 12800}), 201)
    assert refused["status"] == "refused"
    assert refused["justification"] == {"code": "legal", "reference": "食品经营许可"}

    before = await evidence.evidence_rows()
    approving = rule | {"decision": "approve", "valid_from": TODAY}
    assert_nack(
        await evidence.post(TAOBAO, "/v1/storefront-policies", approving),
        422,
        "invalid_justification",
    )
    assert await evidence.evidence_rows() == before
