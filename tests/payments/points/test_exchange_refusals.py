"""A program's declared refusal of another's exchanges: versioned, named in the refusal, evidence.

In 2022-10 88VIP's customer service announced Tencent Video membership for
88VIP points and Tencent Video publicly denied any such arrangement. Over
Hutong the denial is a declaration of Tencent Video's: it refuses exchanges
with 88VIP from a day on. An exchange asked of Tencent Video is then refused
(``exchange_refused_by_program``) with that declaration in the answer, not a
point moves, and an auditor reads the declarations as evidence. Declarations
follow the house's declaring-day rule (`hutong.protocol.declared_time`): a
later version lifts a refusal from its own day on, a back-dated one is refused
unless it is a correction that says why.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from hutong.client import encode_json
from hutong.config import Settings
from hutong.protocol.envelope import request_envelope
from tests.harness.assertions import assert_nack
from tests.harness.cast import AUDITOR, TAOBAO, VIDEO, VIP
from tests.harness.networks import PayNet

BENEFIT = "tencent-video-vip/1-month"
DENIAL = "Tencent Video has no points arrangement with 88VIP"


def _today(paynet: PayNet) -> date:
    return paynet.switch.services.clock().date()


async def _declare(paynet: PayNet, sender: str = VIDEO, **changes: Any) -> httpx.Response:
    body: dict[str, Any] = {"program": VIP, "refuses": True, "statement": DENIAL}
    return await paynet.post(sender, "/v1/points/refusals", body | changes)


async def _declared(paynet: PayNet, **changes: Any) -> dict[str, Any]:
    response = await _declare(paynet, **changes)
    assert response.status_code == 201, response.text
    declaration: dict[str, Any] = response.json()["declaration"]
    return declaration


async def _offer(paynet: PayNet) -> dict[str, Any]:
    body = {"program_from": VIP, "points_price": 1_000, "benefit": BENEFIT, "money_rate_fen": 1_500}
    response = await paynet.post(VIDEO, "/v1/points/offers", body)
    assert response.status_code == 201, response.text
    offer: dict[str, Any] = response.json()["offer"]
    return offer


async def _exchange(paynet: PayNet, offer_id: str, **changes: Any) -> httpx.Response:
    body = {"offer_id": offer_id, "member": "m-alice", "beneficiary": "m-alice", "quantity": 1}
    return await paynet.post(VIP, "/v1/points/exchanges", body | changes)


async def _points(paynet: PayNet) -> int:
    response = await paynet.get(VIP, "/v1/points/members/m-alice/balance")
    assert response.status_code == 200, response.text
    points: int = response.json()["points"]
    return points


async def test_a_declared_refusal_refuses_the_exchange_and_names_itself(paynet: PayNet) -> None:
    offer = await _offer(paynet)
    granted = await paynet.post(VIP, "/v1/points/grants", {"member": "m-alice", "points": 5_000})
    assert granted.status_code == 201, granted.text
    declaration = await _declared(paynet)
    assert {k: declaration[k] for k in ("program", "counterparty", "refuses", "statement")} == {
        "program": VIDEO,
        "counterparty": VIP,
        "refuses": True,
        "statement": DENIAL,
    }
    assert declaration["valid_from"] == _today(paynet).isoformat()
    assert declaration["correction"] is None

    refused = await _exchange(paynet, offer["id"])
    document = assert_nack(refused, 409, "exchange_refused_by_program", extra=["declaration"])
    assert document["declaration"] == declaration
    assert declaration["id"] in document["error"]["message"]
    assert await _points(paynet) == 5_000
    assert paynet.program(VIDEO).issued == {}


async def test_naming_the_program_is_refused_by_its_declaration_even_without_an_offer(
    paynet: PayNet,
) -> None:
    """88VIP's announced exchange: Tencent Video never published an offer, and says so."""
    declaration = await _declared(paynet)
    refused = await _exchange(paynet, "announced-by-88vip", program_to=VIDEO)
    document = assert_nack(refused, 409, "exchange_refused_by_program", extra=["declaration"])
    assert document["declaration"]["id"] == declaration["id"]
    # Without a declaration the same request only finds no offer.
    unknown = await _exchange(paynet, "announced-by-88vip", program_to=TAOBAO)
    assert_nack(unknown, 422, "no_such_offer")  # the body names it: 404 is the path's
    offer = await _offer(paynet)
    mismatch = await _exchange(paynet, offer["id"], program_to=TAOBAO)
    assert_nack(mismatch, 422, "program_mismatch")


async def test_the_auditor_reads_the_declarations_as_evidence(paynet: PayNet) -> None:
    declaration = await _declared(paynet)
    for reader in (AUDITOR, VIP, VIDEO):
        listed = await paynet.get(reader, f"/v1/points/refusals?program={VIDEO}")
        assert listed.status_code == 200, listed.text
        assert listed.json()["declarations"] == [declaration]
    stance = await paynet.get(
        AUDITOR, f"/v1/points/refusals?program={VIDEO}&counterparty={VIP}&at={_today(paynet)}"
    )
    assert stance.json()["declarations"] == [declaration]
    before = (_today(paynet) - timedelta(days=1)).isoformat()
    earlier = await paynet.get(AUDITOR, f"/v1/points/refusals?program={VIDEO}&at={before}")
    assert earlier.json()["declarations"] == []


async def test_a_resent_declaration_and_a_resent_refusal_are_answered_as_the_first(
    paynet: PayNet,
) -> None:
    message = {"program": VIP, "refuses": True, "statement": DENIAL}
    body = encode_json(request_envelope(message, message_id="deny-1"))
    first = await paynet.send(VIDEO, "POST", "/v1/points/refusals", body)
    again = await paynet.send(VIDEO, "POST", "/v1/points/refusals", body)
    assert again.status_code == 201 and again.headers["x-hutong-replay"] == "true"
    assert again.json() == first.json()
    listed = await paynet.get(AUDITOR, f"/v1/points/refusals?program={VIDEO}")
    assert len(listed.json()["declarations"]) == 1
    ask = {"offer_id": "announced", "program_to": VIDEO, "member": "m-alice", "beneficiary": "b"}
    asked = encode_json(request_envelope(ask, message_id="ask-1"))
    refused = await paynet.send(VIP, "POST", "/v1/points/exchanges", asked)
    resent = await paynet.send(VIP, "POST", "/v1/points/exchanges", asked)
    assert (refused.status_code, resent.status_code) == (409, 409)
    assert resent.json() == refused.json() and resent.headers["x-hutong-replay"] == "true"


async def test_a_declaration_is_checked(paynet: PayNet) -> None:
    yesterday = (_today(paynet) - timedelta(days=1)).isoformat()
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (VIDEO, {"program": VIDEO}, 422, "invalid_declaration"),
        (VIDEO, {"program": "nobody.example"}, 422, "unknown_program"),
        (VIDEO, {"statement": "x" * 501}, 422, "invalid_declaration"),
        (VIDEO, {"valid_from": yesterday}, 422, "valid_from_in_past"),
        (VIDEO, {"correction": {"reason": "late"}}, 422, "invalid_correction"),
        (TAOBAO, {}, 403, "wrong_role"),
        (VIDEO, {"refuses": "yes"}, 422, "invalid_request"),
    ]
    for sender, changes, status, code in cases:
        assert_nack(await _declare(paynet, sender, **changes), status, code, str(changes))
    listed = await paynet.get(AUDITOR, f"/v1/points/refusals?program={VIDEO}")
    assert listed.json()["declarations"] == []


async def test_a_back_dated_correction_says_why(paynet: PayNet) -> None:
    yesterday = _today(paynet) - timedelta(days=1)
    corrected = await _declared(
        paynet, valid_from=yesterday.isoformat(), correction={"reason": "denied on 2022-10-31"}
    )
    assert corrected["valid_from"] == yesterday.isoformat()
    assert corrected["correction"]["reason"] == "denied on 2022-10-31"
    assert corrected["correction"]["valid_from"] == yesterday.isoformat()
    at = await paynet.get(AUDITOR, f"/v1/points/refusals?program={VIDEO}&at={yesterday}")
    assert [d["id"] for d in at.json()["declarations"]] == [corrected["id"]]


class TestALaterVersion:
    """The switch's clock moves a day; the desks sign with the real one, hence the skew."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.with_(clock_skew=2 * 86_400)

    async def test_lifting_the_refusal_takes_effect_from_its_own_day(self, paynet: PayNet) -> None:
        offer = await _offer(paynet)
        await paynet.post(VIP, "/v1/points/grants", {"member": "m-alice", "points": 5_000})
        refusal = await _declared(paynet)
        tomorrow = _today(paynet) + timedelta(days=1)
        lifted = await _declared(
            paynet, refuses=False, statement="an arrangement", valid_from=tomorrow.isoformat()
        )
        still = await _exchange(paynet, offer["id"])
        document = assert_nack(still, 409, "exchange_refused_by_program", extra=["declaration"])
        assert document["declaration"]["id"] == refusal["id"]
        paynet.switch.services.clock.advance(86_400)  # type: ignore[attr-defined]
        exchanged = await _exchange(paynet, offer["id"])
        assert exchanged.status_code == 201, exchanged.text
        assert await _points(paynet) == 4_000
        history = await paynet.get(AUDITOR, f"/v1/points/refusals?program={VIDEO}")
        assert [d["id"] for d in history.json()["declarations"]] == [refusal["id"], lifted["id"]]
