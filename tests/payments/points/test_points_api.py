"""Points exchange over real HTTP: offers, grants, exchanges, the daily cap, failures, expiry.

88VIP members redeem their points for a month of Tencent Video membership:
the points are held at 88VIP, Tencent Video's reference desk is asked to issue
the benefit, and the switch posts the points and what 88VIP owes Tencent
Video together, or voids the points. The fixture checks the ledger after
every test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from hutong.client import encode_json
from hutong.config import Settings
from hutong.events.outbox import EventRecord, list_events
from hutong.ledger.models import Account
from hutong.ledger.store import get_account
from hutong.net.delivery import DeliveryWorker
from hutong.payments import legs, points
from hutong.payments.points import exchanges
from hutong.payments.points import store as points_store
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from tests.harness.assertions import refused_keeping_only_its_answer
from tests.harness.cast import AUDITOR, TAOBAO, VIDEO, VIP
from tests.harness.networks import PayNet

PRICE, RATE = 1_000, 1_500
BENEFIT = "tencent-video-vip/1-month"


async def _offer(paynet: PayNet, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "program_from": VIP,
        "points_price": PRICE,
        "benefit": BENEFIT,
        "daily_cap_per_user": 1,
        "money_rate_fen": RATE,
    }
    response = await _post(paynet, VIDEO, "/v1/points/offers", body | changes)
    assert response.status_code == 201, response.text
    offer: dict[str, Any] = response.json()["offer"]
    return offer


async def _grant(paynet: PayNet, points_: int, member: str = "m-alice") -> None:
    response = await _post(paynet, VIP, "/v1/points/grants", {"member": member, "points": points_})
    assert response.status_code == 201, response.text


async def _balance(paynet: PayNet, member: str = "m-alice") -> dict[str, Any]:
    response = await _get(paynet, VIP, f"/v1/points/members/{member}/balance")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _signed_body(message: dict[str, Any], message_id: str) -> bytes:
    """The exact bytes of a request: a retry sends these again (the envelope is timestamped)."""
    return encode_json(request_envelope(message, message_id=message_id))


def _exchange_body(
    offer_id: str,
    message_id: str,
    *,
    member: str = "m-alice",
    beneficiary: str = "m-alice",
    quantity: int = 1,
) -> bytes:
    message = {
        "offer_id": offer_id,
        "member": member,
        "beneficiary": beneficiary,
        "quantity": quantity,
    }
    return _signed_body(message, message_id)


async def _send(
    paynet: PayNet, sender: str, path: str, body: bytes = b"", method: str = "POST"
) -> httpx.Response:
    """Sign `body` as of the switch's clock (which tests move) and send it."""
    client = paynet[sender]
    created = int(paynet.switch.services.clock().timestamp())
    return await client.send(method, f"{paynet.switch.url}{path}", body, created=created)


async def _post(
    paynet: PayNet, sender: str, path: str, message: dict[str, Any], message_id: str = ""
) -> httpx.Response:
    return await _send(paynet, sender, path, _signed_body(message, message_id or new_id("msg")))


async def _get(paynet: PayNet, sender: str, path: str) -> httpx.Response:
    return await _send(paynet, sender, path, method="GET")


async def _exchange(
    paynet: PayNet,
    offer_id: str,
    *,
    sender: str = VIP,
    member: str = "m-alice",
    beneficiary: str = "m-alice",
    quantity: int = 1,
    message_id: str | None = None,
) -> httpx.Response:
    body = _exchange_body(
        offer_id,
        message_id or new_id("msg"),
        member=member,
        beneficiary=beneficiary,
        quantity=quantity,
    )
    return await _send(paynet, sender, "/v1/points/exchanges", body)


async def _account(paynet: PayNet, account_id: str) -> Account | None:
    async with paynet.switch.services.db.read() as conn:
        return await get_account(conn, account_id)


async def _owed(paynet: PayNet) -> tuple[int, int]:
    """What 88VIP owes (debits) and Tencent Video is owed (credits), posted, in fen."""
    vip = await _account(paynet, legs.program_position(VIP))
    video = await _account(paynet, legs.program_position(VIDEO))
    return (
        0 if vip is None else vip.debits_posted - vip.credits_posted,
        0 if video is None else video.credits_posted - video.debits_posted,
    )


async def _events(paynet: PayNet, recipient: str, action: str = "on_exchange") -> list[EventRecord]:
    async with paynet.switch.services.db.read() as conn:
        events = await list_events(conn, recipient=recipient, limit=1000)
    return [event for event in events if event.action == action]


def _code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


# -- offers -------------------------------------------------------------------------------------


async def test_an_offer_is_published_listed_and_announced(paynet: PayNet) -> None:
    offer = await _offer(paynet, daily_cap_per_user=None)
    assert offer["program_from"] == VIP and offer["program_to"] == VIDEO
    assert (offer["points_price"], offer["money_rate_fen"], offer["daily_cap_per_user"]) == (
        PRICE,
        RATE,
        None,
    )
    assert offer["points_asset"] == "points:88vip" and offer["active"] is True
    listed = await _get(paynet, VIP, f"/v1/points/offers?program_from={VIP}")
    assert listed.status_code == 200, listed.text
    assert [o["id"] for o in listed.json()["offers"]] == [offer["id"]]
    none = await _get(paynet, VIP, f"/v1/points/offers?program_from={VIDEO}")
    assert none.json()["offers"] == []
    announced = await _events(paynet, VIP, "on_points_offer")
    assert [event.message["id"] for event in announced] == [offer["id"]]


async def test_an_invalid_offer_is_refused_with_its_code(paynet: PayNet) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"program_from": "nobody.example"}, 422, "unknown_program"),
        ({"program_from": TAOBAO}, 422, "unknown_program"),
        ({"program_from": VIDEO}, 422, "invalid_offer"),
        ({"points_price": 0}, 422, "invalid_offer"),
        ({"points_price": "1000"}, 422, "invalid_request"),
        ({"points_price": 10.5}, 422, "invalid_request"),
        ({"benefit": "  "}, 422, "invalid_offer"),
        ({"benefit": "x" * 256}, 422, "invalid_offer"),
        ({"daily_cap_per_user": 0}, 422, "invalid_offer"),
        ({"daily_cap_per_user": 2**31}, 422, "invalid_offer"),
        ({"money_rate_fen": -1}, 422, "invalid_offer"),
        ({"surprise": 1}, 422, "invalid_request"),
    ]
    base = {
        "program_from": VIP,
        "points_price": PRICE,
        "benefit": BENEFIT,
        "daily_cap_per_user": 1,
        "money_rate_fen": RATE,
    }
    for changes, status, code in cases:
        response = await _post(paynet, VIDEO, "/v1/points/offers", base | changes)
        assert (response.status_code, _code(response)) == (status, code), (changes, response.text)
    listed = await _get(paynet, VIP, "/v1/points/offers")
    assert listed.json()["offers"] == []


async def test_a_program_publishes_only_its_own_offers(paynet: PayNet) -> None:
    body = {"program_from": VIP, "points_price": 1, "benefit": "b", "money_rate_fen": 0}
    as_other = await _post(paynet, VIDEO, "/v1/points/offers", body | {"program_to": "x.example"})
    assert (as_other.status_code, _code(as_other)) == (403, "not_a_party")
    platform = await _post(paynet, TAOBAO, "/v1/points/offers", body)
    assert (platform.status_code, _code(platform)) == (403, "wrong_role")
    offer = await _offer(paynet)
    not_mine = await _post(paynet, VIP, f"/v1/points/offers/{offer['id']}/withdraw", {})
    assert (not_mine.status_code, _code(not_mine)) == (403, "not_a_party")


async def test_a_withdrawn_offer_takes_no_more_exchanges(paynet: PayNet) -> None:
    offer = await _offer(paynet)
    await _grant(paynet, 5_000)
    withdrawn = await _post(paynet, VIDEO, f"/v1/points/offers/{offer['id']}/withdraw", {})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["offer"]["active"] is False
    refused = await _exchange(paynet, offer["id"])
    assert (refused.status_code, _code(refused)) == (409, "offer_withdrawn")
    assert (await _balance(paynet))["points"] == 5_000


# -- grants and balances -----------------------------------------------------------------------


async def test_a_program_grants_points_once_per_grant_id(paynet: PayNet) -> None:
    body = _signed_body({"member": "m-alice", "points": 5_000}, "g-1")
    first = await _send(paynet, VIP, "/v1/points/grants", body)
    assert first.status_code == 201, first.text
    assert first.json()["balance"] == 5_000
    again = await _send(paynet, VIP, "/v1/points/grants", body)
    assert again.headers.get("x-hutong-replay") == "true" and again.json() == first.json()
    named = {"member": "m-alice", "points": 300, "grant_id": "welcome-m-alice"}
    assert (await _post(paynet, VIP, "/v1/points/grants", named)).status_code == 201
    same_grant = await _post(paynet, VIP, "/v1/points/grants", named)
    assert same_grant.status_code == 201 and same_grant.json()["balance"] == 5_300
    reused = await _post(paynet, VIP, "/v1/points/grants", named | {"points": 301})
    assert (reused.status_code, _code(reused)) == (409, "grant_id_reused")
    # Another program's grant ids are its own.
    video = await _post(paynet, VIDEO, "/v1/points/grants", named)
    assert video.status_code == 201, video.text
    assert await _balance(paynet) == {
        "program": VIP,
        "member": "m-alice",
        "asset": "points:88vip",
        "points": 5_300,
        "held": 0,
        "available": 5_300,
    }
    assert (await _balance(paynet, "m-nobody"))["points"] == 0


async def test_a_grant_is_checked(paynet: PayNet) -> None:
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (VIP, {"member": "m alice", "points": 1}, 422, "invalid_member"),
        (VIP, {"member": "m" * 65, "points": 1}, 422, "invalid_member"),
        (VIP, {"member": "", "points": 1}, 422, "invalid_member"),
        (VIP, {"member": "m-alice", "points": 0}, 422, "invalid_points"),
        (VIP, {"member": "m-alice", "points": "5"}, 422, "invalid_request"),
        (TAOBAO, {"member": "m-alice", "points": 1}, 403, "wrong_role"),
    ]
    for sender, body, status, code in cases:
        response = await _post(paynet, sender, "/v1/points/grants", body)
        assert (response.status_code, _code(response)) == (status, code), (body, response.text)
    bad = await _get(paynet, VIP, "/v1/points/members/m%20alice/balance")
    assert (bad.status_code, _code(bad)) == (422, "invalid_member")
    platform = await _get(paynet, TAOBAO, "/v1/points/members/m-alice/balance")
    assert platform.status_code == 403


# -- exchanges ---------------------------------------------------------------------------------


async def test_a_member_redeems_points_for_a_month_of_tencent_video(paynet: PayNet) -> None:
    offer = await _offer(paynet)
    await _grant(paynet, 5_000)
    response = await _exchange(paynet, offer["id"])
    assert response.status_code == 201, response.text
    exchange = response.json()["exchange"]
    assert exchange["state"] == "committed"
    assert (exchange["points"], exchange["money_owed"], exchange["quantity"]) == (PRICE, RATE, 1)
    assert exchange["benefit_ref"] == f"{BENEFIT}/{exchange['id']}"

    assert await _balance(paynet) == {
        "program": VIP,
        "member": "m-alice",
        "asset": "points:88vip",
        "points": 5_000 - PRICE,
        "held": 0,
        "available": 5_000 - PRICE,
    }
    issued = paynet.program(VIDEO).issued[exchange["id"]]
    assert (issued["member"], issued["benefit"], issued["quantity"]) == ("m-alice", BENEFIT, 1)
    assert await _owed(paynet) == (RATE, RATE)
    redeemed = await _account(paynet, legs.points_redeemed(VIP))
    assert redeemed is not None and redeemed.credits_posted == PRICE

    for program in (VIP, VIDEO):
        (event,) = await _events(paynet, program)
        assert event.transaction_id == exchange["id"]
        assert {k: event.message[k] for k in ("exchange_id", "state", "member", "benefit")} == {
            "exchange_id": exchange["id"],
            "state": "committed",
            "member": "m-alice",
            "benefit": BENEFIT,
        }
        assert (event.message["quantity"], event.message["points"]) == (1, PRICE)
        assert event.message["money_owed"] == RATE
    worker = DeliveryWorker(paynet.switch.services)
    try:
        await worker.drain()
    finally:
        await worker.close()
    for program in (VIP, VIDEO):
        assert "on_exchange" in paynet.world.inbox(program).actions()
    assert exchange["id"] not in paynet.program(VIDEO).revoked

    for reader in (VIP, VIDEO, AUDITOR):
        shown = await _get(paynet, reader, f"/v1/points/exchanges/{exchange['id']}")
        assert shown.status_code == 200 and shown.json()["exchange"] == exchange
    outsider = await _get(paynet, TAOBAO, f"/v1/points/exchanges/{exchange['id']}")
    assert (outsider.status_code, _code(outsider)) == (403, "not_a_party")
    missing = await _get(paynet, VIP, "/v1/points/exchanges/px_nothing")
    assert (missing.status_code, _code(missing)) == (404, "unknown_exchange")


async def test_the_daily_cap_counts_the_utc_day(paynet: PayNet) -> None:
    offer = await _offer(paynet, daily_cap_per_user=2)
    await _grant(paynet, 10_000)
    assert (await _exchange(paynet, offer["id"])).status_code == 201
    too_many = await _exchange(paynet, offer["id"], quantity=2)
    assert (too_many.status_code, _code(too_many)) == (409, "daily_cap_exceeded")
    assert (await _exchange(paynet, offer["id"])).status_code == 201
    third = await _exchange(paynet, offer["id"])
    assert (third.status_code, _code(third)) == (409, "daily_cap_exceeded")
    zero = await _exchange(paynet, offer["id"], quantity=0)
    assert (zero.status_code, _code(zero)) == (422, "invalid_quantity")
    assert (await _balance(paynet))["points"] == 10_000 - 2 * PRICE
    assert await _owed(paynet) == (2 * RATE, 2 * RATE)


class TestTheNextUtcDay:
    """The switch's clock moves a day; the desks sign with the real one, hence the skew."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.with_(clock_skew=2 * 86_400)

    async def test_the_cap_allows_again_the_next_day(self, paynet: PayNet) -> None:
        offer = await _offer(paynet, daily_cap_per_user=1)
        await _grant(paynet, 10_000)
        first = await _exchange(paynet, offer["id"])
        assert first.status_code == 201, first.text
        capped = await _exchange(paynet, offer["id"])
        assert (capped.status_code, _code(capped)) == (409, "daily_cap_exceeded")
        paynet.switch.services.clock.advance(86_400)  # type: ignore[attr-defined]
        next_day = await _exchange(paynet, offer["id"])
        assert next_day.status_code == 201, next_day.text
        days = [date.fromisoformat(r.json()["exchange"]["day"]) for r in (first, next_day)]
        assert days[1] - days[0] == timedelta(days=1)
        again = await _exchange(paynet, offer["id"])
        assert (again.status_code, _code(again)) == (409, "daily_cap_exceeded")
        assert (await _balance(paynet))["points"] == 10_000 - 2 * PRICE
        assert await _owed(paynet) == (2 * RATE, 2 * RATE)


async def test_two_concurrent_exchanges_cannot_both_pass_the_cap(paynet: PayNet) -> None:
    offer = await _offer(paynet, daily_cap_per_user=1)
    await _grant(paynet, 10_000)
    answers = await asyncio.gather(*(_exchange(paynet, offer["id"]) for _ in range(4)))
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [201, 409, 409, 409], [r.text for r in answers]
    assert {_code(r) for r in answers if r.status_code == 409} == {"daily_cap_exceeded"}
    assert (await _balance(paynet))["points"] == 10_000 - PRICE
    assert len(paynet.program(VIDEO).issued) == 1


async def test_concurrent_exchanges_cannot_overdraw_the_points(paynet: PayNet) -> None:
    offer = await _offer(paynet, daily_cap_per_user=None)
    await _grant(paynet, PRICE + 10)
    answers = await asyncio.gather(*(_exchange(paynet, offer["id"]) for _ in range(3)))
    assert sorted(r.status_code for r in answers) == [201, 409, 409], [r.text for r in answers]
    assert {_code(r) for r in answers if r.status_code == 409} == {"insufficient_points"}
    balance = await _balance(paynet)
    assert (balance["points"], balance["held"]) == (10, 0)


async def test_too_few_points_holds_nothing(paynet: PayNet) -> None:
    offer = await _offer(paynet)
    await _grant(paynet, PRICE - 1)
    refused = await _exchange(paynet, offer["id"])
    assert (refused.status_code, _code(refused)) == (409, "insufficient_points")
    never = await _exchange(paynet, offer["id"], member="m-never-granted")
    assert (never.status_code, _code(never)) == (409, "insufficient_points")
    balance = await _balance(paynet)
    assert (balance["points"], balance["held"]) == (PRICE - 1, 0)
    assert paynet.program(VIDEO).calls == []
    assert await _owed(paynet) == (0, 0)


async def test_a_refused_member_gets_the_points_back(paynet: PayNet) -> None:
    offer = await _offer(paynet)
    await _grant(paynet, 5_000)
    body = _exchange_body(offer["id"], "x-nobody", beneficiary="m-nobody")
    refused = await _send(paynet, VIP, "/v1/points/exchanges", body)
    assert (refused.status_code, _code(refused)) == (409, "unknown_member")
    exchange_id = points.exchange_id_for(VIP, "x-nobody")
    shown = await _get(paynet, VIP, f"/v1/points/exchanges/{exchange_id}")
    assert shown.json()["exchange"]["state"] == "cancelled"
    assert "unknown_member" in shown.json()["exchange"]["reason"]
    balance = await _balance(paynet)
    assert (balance["points"], balance["held"]) == (5_000, 0)
    assert await _owed(paynet) == (0, 0)
    (revoke,) = await _events(paynet, VIDEO)
    assert (revoke.message["exchange_id"], revoke.message["state"]) == (exchange_id, "cancelled")
    again = await _send(paynet, VIP, "/v1/points/exchanges", body)
    assert again.headers.get("x-hutong-replay") == "true" and again.status_code == 409
    assert len(paynet.program(VIDEO).calls) == 1
    # The refused exchange does not count against the cap.
    assert (await _exchange(paynet, offer["id"])).status_code == 201


async def test_a_retry_never_debits_twice(paynet: PayNet) -> None:
    offer = await _offer(paynet, daily_cap_per_user=None)
    await _grant(paynet, 5_000)
    body = _exchange_body(offer["id"], "x-retry")
    first = await _send(paynet, VIP, "/v1/points/exchanges", body)
    assert first.status_code == 201, first.text
    again = await _send(paynet, VIP, "/v1/points/exchanges", body)
    assert again.status_code == 201 and again.headers.get("x-hutong-replay") == "true"
    assert again.json() == first.json()
    assert (await _balance(paynet))["points"] == 5_000 - PRICE
    assert paynet.program(VIDEO).calls == [("issue", f"{first.json()['exchange']['id']}.issue")]
    other = await _exchange(paynet, offer["id"], quantity=2, message_id="x-retry")
    assert (other.status_code, _code(other)) == (409, "message_id_conflict")
    assert await _owed(paynet) == (RATE, RATE)


async def test_a_program_exchanges_only_for_its_own_members(paynet: PayNet) -> None:
    offer = await _offer(paynet)
    await _grant(paynet, 5_000)
    other = await _exchange(paynet, offer["id"], sender=VIDEO)
    assert (other.status_code, _code(other)) == (403, "not_a_party")
    platform = await _exchange(paynet, offer["id"], sender=TAOBAO)
    assert (platform.status_code, _code(platform)) == (403, "wrong_role")
    # The body names the offer: one that does not exist is the body's mistake (422), and
    # nothing but its answer is written; `unknown_offer` stays the 404 of a path naming one.
    unknown = await refused_keeping_only_its_answer(
        paynet.switch, _exchange(paynet, "po_nothing"), 422, "no_such_offer"
    )
    assert "po_nothing" in unknown.json()["error"]["message"]
    bad_member = await _exchange(paynet, offer["id"], member="m alice")
    assert (bad_member.status_code, _code(bad_member)) == (422, "invalid_member")
    assert (await _balance(paynet))["points"] == 5_000


# -- crashes and the deadline sweep --------------------------------------------------------------


async def _held_by_a_crash(paynet: PayNet, offer_id: str, message_id: str) -> str:
    """Step 1 of an exchange, as if the switch crashed before asking Tencent Video."""
    services = paynet.switch.services
    async with services.db.read() as conn:
        offer = await points_store.require_offer(conn, offer_id)
    spec = points.NewExchange(offer_id, "m-alice", "m-alice", 1)
    exchange_id = points.exchange_id_for(VIP, message_id)
    held = await exchanges._hold(services, exchange_id, offer, spec, message_id)
    assert held.state is points_store.ExchangeState.HELD
    return exchange_id


async def test_a_retry_resumes_an_exchange_held_by_a_crash(paynet: PayNet) -> None:
    offer = await _offer(paynet)
    await _grant(paynet, 5_000)
    await _held_by_a_crash(paynet, offer["id"], "x-crash")
    balance = await _balance(paynet)
    assert (balance["held"], balance["available"]) == (PRICE, 5_000 - PRICE)
    resumed = await _exchange(paynet, offer["id"], message_id="x-crash")
    assert resumed.status_code == 201, resumed.text
    assert resumed.json()["exchange"]["state"] == "committed"
    balance = await _balance(paynet)
    assert (balance["points"], balance["held"]) == (5_000 - PRICE, 0)
    assert await points.expire_due(paynet.switch.services) == 0


async def test_an_exchange_left_held_is_cancelled_at_its_deadline(paynet: PayNet) -> None:
    offer = await _offer(paynet)
    await _grant(paynet, 5_000)
    exchange_id = await _held_by_a_crash(paynet, offer["id"], "x-stuck")
    services = paynet.switch.services
    assert await points.expire_due(services) == 0
    services.clock.advance(points.held_window(services.settings) + 1)  # type: ignore[attr-defined]
    assert await points.expire_due(services) == 1
    assert await points.expire_due(services) == 0
    shown = await _get(paynet, VIP, f"/v1/points/exchanges/{exchange_id}")
    assert shown.json()["exchange"]["state"] == "cancelled"
    balance = await _balance(paynet)
    assert (balance["points"], balance["held"]) == (5_000, 0)
    for program in (VIP, VIDEO):
        (event,) = await _events(paynet, program)
        assert event.message["state"] == "cancelled"
    late = await _exchange(paynet, offer["id"], message_id="x-stuck")
    assert (late.status_code, _code(late)) == (409, "exchange_cancelled")
    assert paynet.program(VIDEO).calls == []


async def test_a_hold_the_ledger_already_expired_is_still_cancelled(paynet: PayNet) -> None:
    offer = await _offer(paynet)
    await _grant(paynet, 5_000)
    await _held_by_a_crash(paynet, offer["id"], "x-lapsed")
    paynet.switch.services.clock.advance(86_400)  # type: ignore[attr-defined]
    assert await points.expire_due(paynet.switch.services) == 1
    balance = await _balance(paynet)
    assert (balance["points"], balance["held"]) == (5_000, 0)


class TestAProgramThatDoesNotAnswer:
    """Tencent Video's desk is slow or down: the points come back, nothing is owed."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.with_(wallet_call_timeout=0.3, wallet_call_attempts=1)

    @pytest.fixture
    def slow(self, paynet: PayNet) -> Iterator[None]:
        desk = paynet.program(VIDEO)
        desk.fail["issue"], desk.delay = "slow", 1.0
        yield
        desk.fail.clear()

    async def test_a_timeout_gives_the_points_back(self, paynet: PayNet, slow: None) -> None:
        offer = await _offer(paynet)
        await _grant(paynet, 5_000)
        timed_out = await _exchange(paynet, offer["id"], message_id="x-slow")
        assert (timed_out.status_code, _code(timed_out)) == (504, "participant_timeout")
        exchange_id = points.exchange_id_for(VIP, "x-slow")
        balance = await _balance(paynet)
        assert (balance["points"], balance["held"]) == (5_000, 0)
        assert await _owed(paynet) == (0, 0)
        shown = await _get(paynet, VIP, f"/v1/points/exchanges/{exchange_id}")
        assert shown.json()["exchange"]["state"] == "cancelled"

        # The desk issues once its delay is over; the cancellation makes it revoke.
        await asyncio.sleep(1.2)
        worker = DeliveryWorker(paynet.switch.services)
        try:
            await worker.drain()
        finally:
            await worker.close()
        desk = paynet.program(VIDEO)
        assert exchange_id in desk.revoked and exchange_id not in desk.issued

        # A retry of the same message id is told the exchange is over; B is not asked again.
        calls = len(desk.calls)
        retried = await _exchange(paynet, offer["id"], message_id="x-slow")
        assert (retried.status_code, _code(retried)) == (409, "exchange_cancelled")
        assert len(desk.calls) == calls
        assert (await _balance(paynet))["points"] == 5_000

    async def test_a_desk_that_is_down_gives_the_points_back(self, paynet: PayNet) -> None:
        offer = await _offer(paynet)
        await _grant(paynet, 5_000)
        paynet.program(VIDEO).fail["issue"] = "down"
        down = await _exchange(paynet, offer["id"])
        assert (down.status_code, _code(down)) == (502, "participant_unavailable")
        balance = await _balance(paynet)
        assert (balance["points"], balance["held"]) == (5_000, 0)
        assert await _owed(paynet) == (0, 0)
        (revoke,) = await _events(paynet, VIDEO)
        assert revoke.message["state"] == "cancelled"
        # Once it is back, a new request (a new message id) goes through.
        paynet.program(VIDEO).fail.clear()
        assert (await _exchange(paynet, offer["id"])).status_code == 201
        assert (await _balance(paynet))["points"] == 5_000 - PRICE
