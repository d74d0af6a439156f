"""Wallet-to-wallet transfers over real HTTP with the reference wallets.

Alice (``u-alice`` at Alipay) pays Bob (``u-bob`` at WeChat Pay) by his phone
number: Alipay looks the number up, asks for a quote, then executes it. The
switch asks Alipay to reserve the total debit, WeChat Pay to confirm the
credit, then commits both sides in one transaction and tells both wallets;
the wallets move their users' balances when those events arrive (the tests
deliver them by hand). Whatever goes wrong, both sides move or neither does,
and the ledger check after each test proves the money balances.

Fees (see conftest): Alipay charges 10 bp on top of a transfer, WeChat Pay
takes 1 yuan (100 fen) from what arrives.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from hutong.config import Settings
from hutong.net.transport import call_transport
from hutong.payments.transfers import TransferRow, TransferState, expire_due, forget_wallets
from hutong.payments.transfers.execute import Execution
from hutong.payments.transfers.settle import reservation_seconds
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.store.tables import ledger_transfers, transfers
from tests.harness.assertions import error_code
from tests.harness.cast import ALIPAY, AUDITOR, BOB_PHONE, TAOBAO, WECHATPAY
from tests.harness.delivery import deliver_due
from tests.harness.networks import PayNet
from tests.harness.payments import events
from tests.harness.switch import Clock


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Wallets that do not answer within 0.6 s are given up on at once.

    The slow wallets below take 1 s; a loaded machine answered four concurrent executes
    slower than the 0.3 s this was, and the test of them failed."""
    return settings.with_(wallet_call_timeout=0.6, wallet_call_attempts=1)


async def deliver(paynet: PayNet) -> None:
    await deliver_due(paynet.switch.services)


async def quote(
    paynet: PayNet, amount: int = 10_000, payer: str = "u-alice", **extra: Any
) -> dict[str, Any]:
    response = await paynet.post(
        ALIPAY,
        "/v1/transfers/quote",
        {"payer": payer, "alias": {"kind": "phone", "value": BOB_PHONE}, "amount": amount} | extra,
    )
    assert response.status_code == 201, response.text
    transfer: dict[str, Any] = response.json()["transfer"]
    return transfer


def execute_request(message_id: str | None = None) -> bytes:
    """The exact bytes of an execute request (send them again to retry it)."""
    document = request_envelope({}, message_id=message_id or new_id("msg"))
    return httpx.Request("POST", "http://x", json=document).content


async def execute(
    paynet: PayNet, transfer_id: str, request: bytes | None = None, *, sender: str = ALIPAY
) -> httpx.Response:
    """`sender` executes the transfer (signed at the switch's clock, which tests move)."""
    body = request or execute_request()
    client = paynet[sender]
    created = int(paynet.switch.services.clock().timestamp())
    return await client.send(
        "POST", f"{client.base_url}/v1/transfers/{transfer_id}/execute", body, created=created
    )


async def state_of(paynet: PayNet, transfer_id: str) -> str:
    shown = await paynet[ALIPAY].get(f"/v1/transfers/{transfer_id}")
    assert shown.status_code == 200, shown.text
    state: str = shown.json()["transfer"]["state"]
    return state


async def ledger_legs(paynet: PayNet) -> int:
    async with paynet.switch.services.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(ledger_transfers)) or 0)


# -- quotes -------------------------------------------------------------------------------


async def test_a_quote_charges_each_wallets_declared_transfer_fee(bob: PayNet) -> None:
    transfer = await quote(bob, 10_000)
    assert {k: transfer[k] for k in ("amount", "payer_fee", "payee_fee")} == {
        "amount": 10_000,
        "payer_fee": 10,  # Alipay: 10 bp on top
        "payee_fee": 100,  # WeChat Pay: 1 yuan out of what arrives
    }
    assert transfer["total_debit"] == 10_010
    assert transfer["credited"] == 9_900
    assert transfer["state"] == "quoted"
    assert transfer["payee_wallet"] == WECHATPAY
    assert transfer["payee_masked"] == "138****5678"


async def test_a_quote_holds_five_minutes_unless_asked_otherwise(bob: PayNet, clock: Clock) -> None:
    default = await quote(bob)
    short = await quote(bob, ttl_seconds=60)
    assert default["expires_at"] == (clock.now + timedelta(seconds=300)).isoformat()
    assert short["expires_at"] == (clock.now + timedelta(seconds=60)).isoformat()


async def test_an_alias_at_several_wallets_needs_the_payee_wallet(bob: PayNet) -> None:
    also = await bob.post(
        ALIPAY, "/v1/aliases", {"kind": "phone", "value": BOB_PHONE, "account": "u-bob"}
    )
    assert also.status_code == 201, also.text
    ambiguous = await bob.post(
        ALIPAY,
        "/v1/transfers/quote",
        {"payer": "u-alice", "alias": {"kind": "phone", "value": BOB_PHONE}, "amount": 500},
    )
    assert ambiguous.status_code == 409
    assert error_code(ambiguous) == "alias_ambiguous"
    assert ALIPAY in ambiguous.text and WECHATPAY in ambiguous.text
    assert BOB_PHONE not in ambiguous.text
    chosen = await quote(bob, 500, payee_wallet=WECHATPAY)
    assert chosen["payee_wallet"] == WECHATPAY


async def test_a_wallet_without_a_transfer_fee_does_not_serve_transfers(bob: PayNet) -> None:
    declared = await bob.post(
        WECHATPAY, "/v1/wallet/profile", {"fees": [{"kind": "order", "bps": 60}]}
    )
    assert declared.status_code == 200, declared.text
    forget_wallets(bob.switch.services)  # a changed profile applies within WALLET_TTL
    refused = await bob.post(
        ALIPAY,
        "/v1/transfers/quote",
        {"payer": "u-alice", "alias": {"kind": "phone", "value": BOB_PHONE}, "amount": 500},
    )
    assert refused.status_code == 409
    assert error_code(refused) == "wallet_does_not_serve"


async def test_an_unknown_alias_cannot_be_quoted(bob: PayNet) -> None:
    refused = await bob.post(
        ALIPAY,
        "/v1/transfers/quote",
        {"payer": "u-alice", "alias": {"kind": "phone", "value": "13912345678"}, "amount": 500},
    )
    assert refused.status_code == 404
    assert error_code(refused) == "alias_not_found"


async def test_money_is_a_json_integer(bob: PayNet) -> None:
    for amount in ("500", 500.0, 0, -1):
        refused = await bob.post(
            ALIPAY,
            "/v1/transfers/quote",
            {"payer": "u-alice", "alias": {"kind": "phone", "value": BOB_PHONE}, "amount": amount},
        )
        assert refused.status_code == 422, (amount, refused.text)


# -- executing ----------------------------------------------------------------------------


async def test_alice_pays_bob_across_wallets_by_his_phone_number(bob: PayNet) -> None:
    alipay, wechatpay = bob.wallet(ALIPAY), bob.wallet(WECHATPAY)
    before = alipay.total() + wechatpay.total()
    found = await bob.post(ALIPAY, "/v1/aliases/lookup", {"kind": "phone", "value": BOB_PHONE})
    assert found.json()["entries"][0]["wallet"] == WECHATPAY
    transfer = await quote(bob, 10_000)

    done = await execute(bob, transfer["id"])

    assert done.status_code == 200, done.text
    assert done.json()["transfer"]["state"] == "committed"
    # Both wallets agreed and hold their side until the switch's events arrive.
    assert alipay.available("u-alice") == 100_000 - 10_010
    assert wechatpay.pending[transfer["id"]].amount == 9_900
    await deliver(bob)
    assert alipay.balance("u-alice") == 100_000 - 10_010
    assert wechatpay.balance("u-bob") == 50_000 + 9_900
    assert alipay.held("u-alice") == 0 and not wechatpay.pending
    # Money is conserved apart from the two fees, which the wallets keep.
    assert before - (alipay.total() + wechatpay.total()) == 10 + 100
    events = [e["message"] for e in bob.world.inbox(WECHATPAY).events]
    assert {
        "transfer_id": transfer["id"],
        "state": "committed",
        "role": "payee",
        "account": "u-bob",
        "amount": 9_900,
    } in events
    assert await ledger_legs(bob) == 3  # the amount and two fees, posted at once
    assert BOB_PHONE not in done.text


async def test_both_wallets_and_auditors_read_a_transfer_others_do_not(bob: PayNet) -> None:
    transfer = await quote(bob)
    for reader in (ALIPAY, WECHATPAY, AUDITOR):
        shown = await bob[reader].get(f"/v1/transfers/{transfer['id']}")
        assert shown.status_code == 200, (reader, shown.text)
    outsider = await bob[TAOBAO].get(f"/v1/transfers/{transfer['id']}")
    assert outsider.status_code == 403
    assert error_code(outsider) == "not_a_party"


async def test_only_the_payers_wallet_executes(bob: PayNet) -> None:
    transfer = await quote(bob)
    refused = await execute(bob, transfer["id"], sender=WECHATPAY)
    assert refused.status_code == 403
    assert error_code(refused) == "not_the_payer"
    assert bob.wallet(ALIPAY).calls == []
    assert await state_of(bob, transfer["id"]) == "quoted"


async def test_a_quote_past_its_deadline_cannot_be_executed(bob: PayNet, clock: Clock) -> None:
    transfer = await quote(bob, ttl_seconds=60)
    clock.advance(61)
    late = await execute(bob, transfer["id"])
    assert late.status_code == 409
    assert error_code(late) == "quote_expired"
    assert bob.wallet(ALIPAY).calls == []  # nobody was asked
    assert await expire_due(bob.switch.services) == 1
    assert await state_of(bob, transfer["id"]) == "expired"
    assert await ledger_legs(bob) == 0


async def test_a_payer_without_the_money_fails_the_transfer(bob: PayNet) -> None:
    transfer = await quote(bob, 1_000, payer="u-poor")
    refused = await execute(bob, transfer["id"])
    assert refused.status_code == 409
    assert error_code(refused) == "insufficient_funds"
    assert refused.json()["message"]["transfer"]["state"] == "failed"
    assert bob.wallet(WECHATPAY).calls == []  # the payee's wallet was never asked
    again = await execute(bob, transfer["id"])
    assert error_code(again) == "transfer_failed"
    assert await ledger_legs(bob) == 0


async def test_a_closed_payee_account_releases_the_payers_hold(bob: PayNet) -> None:
    alipay, wechatpay = bob.wallet(ALIPAY), bob.wallet(WECHATPAY)
    wechatpay.closed.add("u-bob")
    transfer = await quote(bob, 10_000)

    refused = await execute(bob, transfer["id"])

    assert refused.status_code == 409
    assert error_code(refused) == "account_closed"
    assert refused.json()["message"]["transfer"]["state"] == "released"
    assert alipay.held("u-alice") == 10_010  # until Alipay hears of the release
    await deliver(bob)
    assert alipay.held("u-alice") == 0
    assert (alipay.balance("u-alice"), wechatpay.balance("u-bob")) == (100_000, 50_000)
    assert await ledger_legs(bob) == 0


async def test_a_payee_wallet_that_does_not_answer_releases_everything(bob: PayNet) -> None:
    alipay, wechatpay = bob.wallet(ALIPAY), bob.wallet(WECHATPAY)
    wechatpay.fail["confirm"], wechatpay.delay = "slow", 1.0
    transfer = await quote(bob, 10_000)

    request = execute_request()
    timed_out = await execute(bob, transfer["id"], request)

    assert timed_out.status_code == 502
    assert error_code(timed_out) == "participant_timeout"
    # The release was written before the answer: a retry finds it released.
    assert await state_of(bob, transfer["id"]) == "released"
    retried = await execute(bob, transfer["id"], request)
    assert retried.status_code == 409
    assert error_code(retried) == "already_released"
    await deliver(bob)
    await asyncio.sleep(1.2)  # WeChat Pay finally looks at the late confirm
    assert alipay.held("u-alice") == 0
    assert not wechatpay.pending
    assert (alipay.balance("u-alice"), wechatpay.balance("u-bob")) == (100_000, 50_000)
    assert await ledger_legs(bob) == 0


async def test_a_payer_wallet_that_does_not_answer_releases_its_late_hold(bob: PayNet) -> None:
    alipay = bob.wallet(ALIPAY)
    alipay.fail["reserve"], alipay.delay = "slow", 1.0
    transfer = await quote(bob, 10_000)
    timed_out = await execute(bob, transfer["id"])
    assert timed_out.status_code == 502
    assert await state_of(bob, transfer["id"]) == "released"
    await asyncio.sleep(1.2)  # Alipay reserves after the switch gave up...
    await deliver(bob)  # ...and drops the hold when told of the release
    assert alipay.held("u-alice") == 0
    assert bob.wallet(WECHATPAY).calls == []
    assert await ledger_legs(bob) == 0


async def test_a_payee_wallet_down_when_committed_is_credited_when_it_returns(
    bob: PayNet, clock: Clock
) -> None:
    alipay, wechatpay = bob.wallet(ALIPAY), bob.wallet(WECHATPAY)
    transfer = await quote(bob, 10_000)
    done = await execute(bob, transfer["id"])
    assert done.status_code == 200, done.text
    bob.world.inbox(WECHATPAY).mode = "down"
    await deliver(bob)
    assert alipay.balance("u-alice") == 100_000 - 10_010
    assert wechatpay.balance("u-bob") == 50_000  # its event is still on its way
    bob.world.inbox(WECHATPAY).mode = "ok"
    clock.advance(1)  # past the lane's back-off
    await deliver(bob)
    assert wechatpay.balance("u-bob") == 50_000 + 9_900


async def test_a_retried_execute_moves_the_money_once(bob: PayNet) -> None:
    transfer = await quote(bob, 10_000)
    request = execute_request()
    first = await execute(bob, transfer["id"], request)
    again = await execute(bob, transfer["id"], request)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["x-hutong-replay"] == "true"
    assert again.json() == first.json()
    assert [action for action, _ in bob.wallet(ALIPAY).calls] == ["reserve"]
    later = await execute(bob, transfer["id"])  # another request, same transfer
    assert later.status_code == 409
    assert error_code(later) == "already_committed"
    await deliver(bob)
    assert bob.wallet(ALIPAY).balance("u-alice") == 100_000 - 10_010
    assert bob.wallet(WECHATPAY).balance("u-bob") == 50_000 + 9_900
    assert await ledger_legs(bob) == 3


async def test_concurrent_executes_commit_exactly_once(bob: PayNet) -> None:
    transfer = await quote(bob, 10_000)
    answers = await asyncio.gather(*(execute(bob, transfer["id"]) for _ in range(4)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409, 409, 409], [a.text for a in answers]
    assert {error_code(a) for a in answers if a.status_code == 409} == {"already_committed"}
    await deliver(bob)
    assert bob.wallet(ALIPAY).balance("u-alice") == 100_000 - 10_010
    assert bob.wallet(WECHATPAY).balance("u-bob") == 50_000 + 9_900
    assert await ledger_legs(bob) == 3


async def test_identical_executes_at_once_ask_each_wallet_once(bob: PayNet) -> None:
    """Twins (one message id): the claim decides who asks; the others get its answer."""
    transfer = await quote(bob, 10_000)
    request = execute_request()
    answers = await asyncio.gather(*(execute(bob, transfer["id"], request) for _ in range(3)))
    assert [a.status_code for a in answers] == [200] * 3, [a.text for a in answers]
    assert sorted(a.headers.get("x-hutong-replay", "") for a in answers) == ["", "true", "true"]
    assert [action for action, _ in bob.wallet(ALIPAY).calls] == ["reserve"]
    assert [action for action, _ in bob.wallet(WECHATPAY).calls] == ["confirm"]
    await deliver(bob)
    assert bob.wallet(WECHATPAY).balance("u-bob") == 50_000 + 9_900


async def test_while_the_payers_wallet_is_asked_every_reader_sees_asking(
    bob: PayNet, clock: Clock
) -> None:
    """Recorded with the execute's claim, before any wallet is asked: ``asking``, not
    ``reserved`` (Alipay holds nothing yet). A switch that dies while asking leaves a
    transfer that `expire_due` releases at its deadline, telling both wallets."""
    alipay = bob.wallet(ALIPAY)
    alipay.fail["reserve"], alipay.delay = "slow", 0.3
    transfer = await quote(bob, 10_000)
    running = asyncio.create_task(execute(bob, transfer["id"]))
    while not alipay.calls:
        await asyncio.sleep(0.01)
    deadline = clock.now + timedelta(seconds=reservation_seconds(bob.switch.services))
    readers = (ALIPAY, WECHATPAY, AUDITOR)
    seen = await asyncio.gather(  # while Alipay is still deciding
        *(bob[reader].get(f"/v1/transfers/{transfer['id']}") for reader in readers)
    )
    for reader, shown in zip(readers, seen, strict=True):
        transfer_seen = shown.json()["transfer"]
        assert (transfer_seen["state"], transfer_seen["expires_at"]) == (
            "asking",
            deadline.isoformat(),
        ), reader
    assert alipay.held("u-alice") == 0
    assert await events(bob, "on_transfer") == []
    done = await running
    assert done.status_code == 200, done.text
    assert done.json()["transfer"]["state"] == "committed"
    assert alipay.held("u-alice") == 10_010


async def test_while_the_payees_wallet_is_asked_the_transfer_is_still_asking(
    bob: PayNet,
) -> None:
    """Alipay holds the money, WeChat Pay is deciding: nothing is decided, nothing posted."""
    alipay, wechatpay = bob.wallet(ALIPAY), bob.wallet(WECHATPAY)
    wechatpay.fail["confirm"], wechatpay.delay = "slow", 0.3
    transfer = await quote(bob, 10_000)
    running = asyncio.create_task(execute(bob, transfer["id"]))
    while not wechatpay.calls:
        await asyncio.sleep(0.01)
    assert alipay.held("u-alice") == 10_010
    assert await state_of(bob, transfer["id"]) == "asking"
    assert await ledger_legs(bob) == 0
    done = await running
    assert done.json()["transfer"]["state"] == "committed", done.text


async def test_an_execute_whose_claim_recorded_nothing_records_asking_before_it_asks(
    bob: PayNet,
) -> None:
    """The claim records ``asking`` only for a quote it saw executable; an execute that
    finds it executable after the claim (a cap raised meanwhile) records it first, alone."""
    alipay = bob.wallet(ALIPAY)
    alipay.fail["reserve"], alipay.delay = "slow", 0.3
    transfer = await quote(bob, 10_000)
    services = bob.switch.services
    execution = Execution(services, call_transport(), ALIPAY, transfer["id"])  # nothing seen
    deciding = asyncio.create_task(execution.decide())
    while not alipay.calls:
        await asyncio.sleep(0.01)
    assert await state_of(bob, transfer["id"]) == "asking"
    assert alipay.held("u-alice") == 0
    done = await services.batcher().run(await deciding)
    assert isinstance(done, TransferRow) and done.state is TransferState.COMMITTED
    await deliver(bob)
    assert bob.wallet(WECHATPAY).balance("u-bob") == 50_000 + 9_900


async def test_a_reservation_that_lapses_before_the_commit_is_released(
    bob: PayNet, clock: Clock
) -> None:
    """WeChat Pay confirms, but only after the reservation's deadline: nothing moves."""
    alipay, wechatpay = bob.wallet(ALIPAY), bob.wallet(WECHATPAY)
    wechatpay.fail["confirm"], wechatpay.delay = "slow", 0.2
    transfer = await quote(bob, 10_000)
    running = asyncio.create_task(execute(bob, transfer["id"]))
    while await state_of(bob, transfer["id"]) != "asking":
        await asyncio.sleep(0.01)
    async with bob.switch.services.db.transaction() as conn:  # the deadline passes meanwhile
        await conn.execute(
            update(transfers).where(transfers.c.id == transfer["id"]).values(expires_at=clock.now)
        )
    late = await running
    assert late.status_code == 409, late.text
    assert error_code(late) == "reservation_expired"
    assert late.json()["message"]["transfer"]["state"] == "released"
    await deliver(bob)
    assert alipay.held("u-alice") == 0 and not wechatpay.pending
    assert (alipay.balance("u-alice"), wechatpay.balance("u-bob")) == (100_000, 50_000)
    assert await ledger_legs(bob) == 0


async def test_a_reservation_left_by_a_crash_is_released_at_its_deadline(
    bob: PayNet, clock: Clock
) -> None:
    """The switch reserved at Alipay, then died before asking WeChat Pay."""
    alipay = bob.wallet(ALIPAY)
    transfer = await quote(bob, 10_000)
    reserve = {"transfer_id": transfer["id"], "payer": "u-alice", "amount": 10_010}
    assert alipay.answer("reserve", f"{transfer['id']}.reserve", reserve)[0] == 200
    async with bob.switch.services.db.transaction() as conn:
        await conn.execute(
            update(transfers)
            .where(transfers.c.id == transfer["id"])
            .values(state="asking", expires_at=clock.now + timedelta(seconds=40))
        )
    assert await expire_due(bob.switch.services) == 0  # not yet
    clock.advance(40)
    assert await expire_due(bob.switch.services) == 1
    assert await state_of(bob, transfer["id"]) == "released"
    await deliver(bob)
    assert alipay.held("u-alice") == 0
    assert await ledger_legs(bob) == 0
