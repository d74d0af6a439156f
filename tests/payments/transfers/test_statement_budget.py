"""How many SQL statements one wallet-to-wallet transfer costs the switch.

A transfer is three signed requests of the payer's wallet: an alias lookup,
a quote (by the payee token the lookup answered, as a wallet does and as
bench/transfers.py does; or by the alias itself), and the execute, which
asks both wallets. Their speed is mostly round trips to the database, so
each request is held to a statement budget: a change that adds statements
fails here and has to say why (and raise the budget) or find them back.
Counted on SQLite over real HTTP with the reference wallets, on a transfer
after the first (the first opens the wallets' ledger accounts); what the
switch remembers (participants, keys, wallet profiles) is remembered, as
under load. `BEGIN IMMEDIATE` is one statement per transaction on SQLite;
the decision-call journal rows (one per wallet asked) are counted: they
ride in the group commit, in the step's own batch or the next one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from hutong.net.call_journal import settled
from hutong.payments.transfers import store as transfer_store
from tests.harness.cast import ALIPAY, BOB_PHONE, WECHATPAY
from tests.harness.networks import PayNet
from tests.harness.statements import StatementCount, counting, lasting_declarations

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


#: Statements per request of one transfer, at most (SQLite).
BUDGET = {
    # The payer wallet's lookup allowance: one conditional UPDATE of its
    # bucket (refilled and taken in SQL, RETURNING), in its own transaction
    # (2 with BEGIN); the directory's entries (1). Was 4: the bucket was read
    # (locked) before it was written.
    "lookup": 3,
    # One write, its answer with it: BEGIN, the transfer, the answer (3); the
    # directory's entries for the token, read before (1). Was 6: a claim of
    # the message id (BEGIN, INSERT) committed first, as if a wallet were asked.
    "quote_by_token": 4,
    # As by token, and the lookup the quote spends in the same write (the
    # bucket's conditional UPDATE: 1). Was 9: the claim (2), the bucket's own
    # transaction (BEGIN) and its read besides.
    "quote_by_alias": 5,
    # The transfer, read before the claim (1); the claim and ``asking``,
    # written before the payer's wallet is asked (BEGIN, INSERT messages,
    # UPDATE transfers: 3); the reserve's journal row, alone in its batch here
    # (BEGIN, INSERT: 2; under load it rides in another step's batch); the
    # commit: the transfer moved only if still asking (one UPDATE ...
    # RETURNING), the ledger (5: its transfers and accounts read, the legs,
    # the accounts, the payer's position), the answer, both wallets' events
    # (one INSERT), the confirm's journal row (10 with BEGIN). 16 before as
    # well, but it waited on three commits, not two: ``reserved`` had a
    # transaction of its own after the payer's wallet answered (now nothing
    # is written between the claim and the end: ``asking`` stays true).
    "execute": 16,
}


async def counted(net: PayNet, request: Callable[[], Awaitable[httpx.Response]]) -> StatementCount:
    """The statements one request costs, its journal rows included; the request must succeed."""
    with counting(net.switch.services.db) as count:
        response = await request()
        await settled(net.switch.services)
    assert response.status_code in (200, 201), response.text
    return count


async def transfer(net: PayNet) -> dict[str, StatementCount]:
    """One whole transfer (lookup, quote by token, execute), and a quote by alias."""
    steps: dict[str, StatementCount] = {}
    alias = {"kind": "phone", "value": BOB_PHONE}
    found: dict[str, Any] = {}

    async def lookup() -> httpx.Response:
        response = await net.post(ALIPAY, "/v1/aliases/lookup", alias)
        found.update(response.json())
        return response

    steps["lookup"] = await counted(net, lookup)
    (entry,) = found["entries"]
    quote = {"payer": "u-alice", "amount": 1_000}
    quoted: dict[str, Any] = {}

    async def quote_by_token() -> httpx.Response:
        response = await net.post(
            ALIPAY, "/v1/transfers/quote", quote | {"payee_token": entry["payee_token"]}
        )
        quoted.update(response.json()["transfer"])
        return response

    steps["quote_by_token"] = await counted(net, quote_by_token)
    steps["quote_by_alias"] = await counted(
        net, lambda: net.post(ALIPAY, "/v1/transfers/quote", quote | {"alias": alias})
    )
    path = f"/v1/transfers/{quoted['id']}/execute"
    steps["execute"] = await counted(net, lambda: net.post(ALIPAY, path, {}))
    return steps


async def test_each_request_of_a_transfer_stays_within_its_statement_budget(
    paynet: PayNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer_store, "WALLET_TTL", 3600.0)  # a slow machine's steps
    bob = {"kind": "phone", "value": BOB_PHONE, "account": "u-bob"}
    published = await paynet.post(WECHATPAY, "/v1/aliases", bob)
    assert published.status_code == 201, published.text
    with lasting_declarations(paynet.switch.services.db):
        await transfer(paynet)  # the first opens the wallets' ledger accounts
        steps = await transfer(paynet)

    spent = {name: count.total for name, count in steps.items()}
    over = {
        name: (spent[name], BUDGET[name], steps[name].kinds)
        for name in spent
        if spent[name] > BUDGET[name]
    }
    assert not over, f"requests over their statement budget (spent, budget, by kind): {over}"
