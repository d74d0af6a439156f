"""Looking payees up without giving away accounts or the directory.

A lookup answers a payee token per wallet, never the wallet's account
reference; a quote takes the token in place of the alias. Each wallet's
lookups are limited (a token bucket in the database, shared by every
worker): past its allowance a wallet is answered 429 ``rate_limited`` with
``Retry-After``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from hutong.client import encode_json
from hutong.config import Settings, load_settings
from hutong.payments.transfers import directory
from hutong.protocol.envelope import request_envelope
from hutong.protocol.errors import RateLimitedError
from hutong.protocol.ids import new_id
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import alias_lookup_buckets
from tests.harness.assertions import assert_nack, refused_without_writes
from tests.harness.cast import ALIPAY, BOB_PHONE, WECHATPAY
from tests.harness.networks import PayNet
from tests.harness.openapi import assert_documented, served_document
from tests.harness.statements import counting
from tests.harness.switch import Clock

BURST = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Three lookups at once, then one a second."""
    return settings.with_(alias_lookups_per_minute=60, alias_lookup_burst=BURST)


async def lookup(net: PayNet, sender: str = ALIPAY, value: str = BOB_PHONE) -> httpx.Response:
    return await net.post(sender, "/v1/aliases/lookup", {"kind": "phone", "value": value})


async def quote(net: PayNet, **payee: Any) -> httpx.Response:
    return await net.post(
        ALIPAY, "/v1/transfers/quote", {"payer": "u-alice", "amount": 10_000} | payee
    )


def limited_count() -> float:
    return REGISTRY.get_sample_value("hutong_alias_lookups_limited_total") or 0.0


# -- the payee token ----------------------------------------------------------------------


async def test_a_lookup_answers_a_payee_token_and_not_the_account(bob: PayNet) -> None:
    found = await lookup(bob)
    assert found.status_code == 200, found.text
    (entry,) = found.json()["entries"]
    assert set(entry) == {"kind", "masked", "wallet", "payee_token"}
    assert "u-bob" not in found.text and BOB_PHONE not in found.text


async def test_a_quote_by_payee_token_goes_where_the_alias_goes_and_executes(
    bob: PayNet,
) -> None:
    (entry,) = (await lookup(bob)).json()["entries"]
    by_alias = await quote(bob, alias={"kind": "phone", "value": BOB_PHONE})
    by_token = await quote(bob, payee_token=entry["payee_token"])
    assert by_token.status_code == 201, by_token.text
    assert by_alias.status_code == 201, by_alias.text
    same = ("payee_wallet", "payee_masked", "amount", "payer_fee", "payee_fee", "credited")
    assert {k: by_token.json()["transfer"][k] for k in same} == {
        k: by_alias.json()["transfer"][k] for k in same
    }

    done = await bob.post(ALIPAY, f"/v1/transfers/{by_token.json()['transfer']['id']}/execute", {})

    assert done.status_code == 200, done.text
    assert done.json()["transfer"]["state"] == "committed"
    assert bob.wallet(WECHATPAY).pending[done.json()["transfer"]["id"]].account == "u-bob"


async def test_a_token_that_is_forged_or_outlived_its_entry_is_refused(bob: PayNet) -> None:
    (entry,) = (await lookup(bob)).json()["entries"]
    token: str = entry["payee_token"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    assert_nack(await quote(bob, payee_token="wx-payee-5"), 422, "invalid_payee_token")
    assert_nack(await quote(bob, payee_token=forged), 404, "alias_not_found")
    wrong_wallet = await quote(bob, payee_token=token, payee_wallet=ALIPAY)
    assert_nack(wrong_wallet, 404, "alias_not_found")
    both = await quote(bob, payee_token=token, alias={"kind": "phone", "value": BOB_PHONE})
    assert_nack(both, 422, "invalid_payee")
    assert_nack(await quote(bob), 422, "invalid_payee")

    removed = await bob.post(WECHATPAY, "/v1/aliases/remove", {"kind": "phone", "value": BOB_PHONE})
    assert removed.status_code == 200, removed.text
    again = await bob.post(
        WECHATPAY, "/v1/aliases", {"kind": "phone", "value": BOB_PHONE, "account": "u-bob-2"}
    )
    assert again.status_code == 201, again.text
    assert_documented(await served_document(bob.http, bob.switch.url), again)
    # The old token named u-bob: it does not follow the number to another account.
    assert_nack(await quote(bob, payee_token=token), 404, "alias_not_found")


# -- the limit ----------------------------------------------------------------------------


async def test_lookups_past_the_allowance_are_refused_with_retry_after(
    bob: PayNet, clock: Clock
) -> None:
    before = limited_count()
    answers = [await lookup(bob, value=f"1390000000{n}") for n in range(BURST - 1)]
    answers.append(await lookup(bob))
    assert [a.status_code for a in answers] == [404] * (BURST - 1) + [200]  # misses count too

    refused = await lookup(bob)

    assert_nack(refused, 429, "rate_limited")
    assert_documented(await served_document(bob.http, bob.switch.url), refused)
    assert refused.headers["retry-after"] == "1"
    assert limited_count() == before + 1
    assert (await lookup(bob, sender=WECHATPAY)).status_code == 200  # each wallet its own
    clock.advance(1)
    assert (await lookup(bob)).status_code == 200
    assert_nack(await lookup(bob), 429, "rate_limited")
    clock.advance(60)  # refills to the burst, no further
    assert [(await lookup(bob)).status_code for _ in range(BURST + 1)] == [200] * BURST + [429]


async def test_a_quote_by_alias_spends_the_same_allowance_and_a_retry_after_waiting_is_answered(
    bob: PayNet, clock: Clock
) -> None:
    """Quoting by alias finds a payee too: unlimited, it would walk the phone numbers."""
    alias = {"alias": {"kind": "phone", "value": BOB_PHONE}}
    for _ in range(BURST):
        assert (await quote(bob, **alias)).status_code == 201
    with counting(bob.switch.services.db) as statements:
        refused = await bob.post(
            ALIPAY,
            "/v1/transfers/quote",
            {"payer": "u-alice", "amount": 10_000} | alias,
            message_id="msg-quote-waited",
        )
    assert_nack(refused, 429, "rate_limited")
    # Handed back by the write, not raised in it: its group commit is not run
    # again write by write in savepoints.
    assert not [kind for kind in statements.kinds if "SAVEPOINT" in kind], statements.kinds
    assert_documented(await served_document(bob.http, bob.switch.url), refused)
    assert_nack(await lookup(bob), 429, "rate_limited")  # one allowance for both

    clock.advance(1)  # the 429 was not this message's answer: the same id is asked again
    again = await bob.post(
        ALIPAY,
        "/v1/transfers/quote",
        {"payer": "u-alice", "amount": 10_000} | alias,
        message_id="msg-quote-waited",
    )
    assert again.status_code == 201, again.text


async def tokens_left(net: PayNet, wallet: str = ALIPAY) -> int:
    """Thousandths of a lookup left in `wallet`'s bucket (the clock stands still in tests)."""
    async with net.switch.services.db.read() as conn:
        left = await conn.scalar(
            select(alias_lookup_buckets.c.milli_tokens).where(
                alias_lookup_buckets.c.wallet == wallet
            )
        )
    return int(left)


def quote_request(value: str = BOB_PHONE) -> bytes:
    """The exact bytes of a quote by alias (send them again to retry it)."""
    message = {"payer": "u-alice", "amount": 10_000, "alias": {"kind": "phone", "value": value}}
    return encode_json(request_envelope(message, message_id=new_id("msg")))


async def quote_as(net: PayNet, request: bytes) -> httpx.Response:
    return await net.send(ALIPAY, "POST", "/v1/transfers/quote", request)


async def test_a_retried_quote_spends_nothing_and_gets_the_same_answer(bob: PayNet) -> None:
    request = quote_request()
    first = await quote_as(bob, request)
    assert first.status_code == 201, first.text
    left = await tokens_left(bob)

    again = await quote_as(bob, request)

    assert again.status_code == 201 and again.headers["x-hutong-replay"] == "true"
    assert again.json() == first.json()  # the same transfer, not a second one
    assert await tokens_left(bob) == left


async def test_a_refused_quote_keeps_its_spent_lookup_and_its_retry_spends_none(
    bob: PayNet,
) -> None:
    """An unknown number is paid for: else quotes would walk the phone numbers for free."""
    request = quote_request("13912345678")
    refused = await quote_as(bob, request)
    assert_nack(refused, 404, "alias_not_found")
    assert await tokens_left(bob) == (BURST - 1) * 1000

    again = await quote_as(bob, request)

    assert_nack(again, 404, "alias_not_found")
    assert again.headers["x-hutong-replay"] == "true"
    assert await tokens_left(bob) == (BURST - 1) * 1000


async def test_a_quote_past_the_allowance_writes_nothing_and_an_answered_one_replays(
    bob: PayNet,
) -> None:
    early = quote_request()
    answered = await quote_as(bob, early)
    for n in range(BURST - 1):
        assert (await lookup(bob, value=f"1390000000{n}")).status_code == 404

    late = quote_as(bob, quote_request())
    await refused_without_writes(bob.switch, late, 429, "rate_limited")
    replayed = await quote_as(bob, early)  # answered before the allowance ran out

    assert replayed.status_code == 201 and replayed.headers["x-hutong-replay"] == "true"
    assert replayed.json() == answered.json()


async def test_a_quote_by_payee_token_spends_nothing(bob: PayNet) -> None:
    token = (await lookup(bob)).json()["entries"][0]["payee_token"]
    answers = [await quote(bob, payee_token=token) for _ in range(BURST + 2)]
    assert {a.status_code for a in answers} == {201}


async def test_workers_on_one_database_share_one_allowance(
    bob: PayNet, settings: Settings, clock: Clock
) -> None:
    """A second worker (its own `Services`, its own pools) spends from the same bucket."""
    other = Services(settings=settings, db=Database(settings.database_url), clock=clock)
    await other.load_switch_key()
    alias = directory.parse("phone", BOB_PHONE)
    try:
        assert len(await directory.find(other, ALIPAY, alias)) == 1
        for _ in range(BURST - 1):
            assert (await lookup(bob)).status_code == 200
        with pytest.raises(RateLimitedError) as refused:
            await directory.find(other, ALIPAY, alias)
        assert refused.value.retry_after == 1
        assert_nack(await lookup(bob), 429, "rate_limited")
    finally:
        await other.db.dispose()


def test_the_limit_is_configured_from_the_environment() -> None:
    default = load_settings({})
    assert (default.alias_lookups_per_minute, default.alias_lookup_burst) == (60, 20)
    env = {"HUTONG_ALIAS_LOOKUPS_PER_MINUTE": "0", "HUTONG_ALIAS_LOOKUP_BURST": "5"}
    assert load_settings(env).alias_lookups_per_minute == 0  # 0: no limit
    with pytest.raises(ValueError, match="BURST"):
        load_settings({"HUTONG_ALIAS_LOOKUP_BURST": "0"})
