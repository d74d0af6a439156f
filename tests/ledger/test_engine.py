"""The ledger engine by example: one behaviour per test, smallest setup first.

Most examples use the same handful of accounts (`book()`): `alice` holds
100 fen and may not overdraw, `shop` receives payments, `bank` funds
everything, `float` may not be credited beyond what was debited from it,
`miles` holds points. `Ledger` (from the property tests) keeps what earlier
batches stored, as the database would.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hutong.ledger.engine import BatchOutcome, apply_transfers, chains, expire_due
from hutong.ledger.models import (
    MAX_AMOUNT,
    MAX_TIMEOUT,
    Account,
    AccountFlags,
    PendingState,
    Result,
    Transfer,
    TransferFlags,
    TransferRequest,
)
from tests.harness.ledger_model import Ledger

NOW = datetime(2025, 1, 1, tzinfo=UTC)
LINKED = TransferFlags.LINKED
PENDING = TransferFlags.PENDING
POST = TransferFlags.POST_PENDING
VOID = TransferFlags.VOID_PENDING


def book() -> dict[str, Account]:
    """Balanced opening totals: bank paid alice 100, float paid bank 50."""
    accounts = [
        Account(
            "alice",
            "u-1",
            "CNY",
            "user_balance",
            AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
            credits_posted=100,
        ),
        Account("shop", "m-1", "CNY", "merchant_receivable"),
        Account("bank", "switch", "CNY", "funding", debits_posted=100, credits_posted=50),
        Account(
            "float",
            "switch",
            "CNY",
            "settlement_position",
            AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS,
            debits_posted=50,
        ),
        Account("miles", "u-1", "points:88vip", "user_balance"),
    ]
    return {account.id: account for account in accounts}


def pay(
    transfer_id: str = "pay-1",
    debit: str = "alice",
    credit: str = "shop",
    amount: int = 10,
    **changes: Any,
) -> TransferRequest:
    """A transfer request, in CNY unless told otherwise."""
    request = TransferRequest(
        id=transfer_id,
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        asset="CNY",
    )
    return dataclasses.replace(request, **changes)


def hold(transfer_id: str = "hold-1", amount: int = 10, **changes: Any) -> TransferRequest:
    """A pending transfer from alice to the shop."""
    return pay(transfer_id, amount=amount, flags=PENDING, **changes)


def post(
    transfer_id: str = "post-1", pending_id: str = "hold-1", **changes: Any
) -> TransferRequest:
    request = TransferRequest(id=transfer_id, flags=POST, pending_id=pending_id)
    return dataclasses.replace(request, **changes)


def void(
    transfer_id: str = "void-1", pending_id: str = "hold-1", **changes: Any
) -> TransferRequest:
    request = TransferRequest(id=transfer_id, flags=VOID, pending_id=pending_id)
    return dataclasses.replace(request, **changes)


def apply(*batch: TransferRequest) -> BatchOutcome:
    """One batch on a fresh book with nothing stored."""
    return apply_transfers(batch, book(), {}, {}, NOW)


def totals(outcome: BatchOutcome, account_id: str) -> tuple[int, int, int, int]:
    """(debits pending, debits posted, credits pending, credits posted)."""
    return outcome.accounts[account_id].totals()


# -- every result, with the smallest setup that produces it -------------------------


@dataclass(frozen=True)
class Case:
    #: Batches applied (and stored) first.
    before: tuple[tuple[TransferRequest, ...], ...]
    batch: tuple[TransferRequest, ...]
    results: tuple[Result, ...]
    #: Seconds the clock moves between `before` and `batch`.
    later: int = 0


def case(
    *batch: TransferRequest,
    results: tuple[Result, ...] | Result,
    before: tuple[tuple[TransferRequest, ...], ...] = (),
    later: int = 0,
) -> Case:
    expected = results if isinstance(results, tuple) else (results,)
    return Case(before, batch, expected, later)


CASES: dict[Result, Case] = {
    Result.OK: case(pay(), results=Result.OK),
    Result.EXISTS: case(pay(), before=((pay(),),), results=Result.EXISTS),
    # The chain fails at its second transfer: the first is undone.
    Result.LINKED_EVENT_FAILED: case(
        pay("a", flags=LINKED),
        pay("b", amount=1_000),
        results=(Result.LINKED_EVENT_FAILED, Result.EXCEEDS_CREDITS),
    ),
    # The batch ends inside a chain: the request that should not be linked is blamed.
    Result.LINKED_EVENT_CHAIN_OPEN: case(
        pay("a", flags=LINKED),
        pay("b", flags=LINKED),
        results=(Result.LINKED_EVENT_FAILED, Result.LINKED_EVENT_CHAIN_OPEN),
    ),
    Result.ID_INVALID: case(pay("pay 1"), results=Result.ID_INVALID),
    Result.ID_ALREADY_FAILED: case(
        pay(), before=((pay(amount=1_000),),), results=Result.ID_ALREADY_FAILED
    ),
    Result.FLAGS_ARE_MUTUALLY_EXCLUSIVE: case(
        pay(flags=PENDING | POST), results=Result.FLAGS_ARE_MUTUALLY_EXCLUSIVE
    ),
    Result.ACCOUNTS_MUST_DIFFER: case(pay(credit="alice"), results=Result.ACCOUNTS_MUST_DIFFER),
    Result.AMOUNT_MUST_BE_POSITIVE: case(pay(amount=0), results=Result.AMOUNT_MUST_BE_POSITIVE),
    Result.ASSET_INVALID: case(pay(asset="USD"), results=Result.ASSET_INVALID),
    Result.CODE_INVALID: case(pay(code="gift"), results=Result.CODE_INVALID),
    Result.REFERENCE_INVALID: case(pay(reference="r" * 256), results=Result.REFERENCE_INVALID),
    Result.PENDING_ID_MUST_NOT_BE_SET: case(
        pay(pending_id="hold-1"), results=Result.PENDING_ID_MUST_NOT_BE_SET
    ),
    Result.PENDING_ID_REQUIRED: case(post(pending_id=""), results=Result.PENDING_ID_REQUIRED),
    Result.PENDING_ID_MUST_DIFFER: case(
        post("post-1", pending_id="post-1"), results=Result.PENDING_ID_MUST_DIFFER
    ),
    Result.TIMEOUT_RESERVED_FOR_PENDING: case(
        pay(timeout=60), results=Result.TIMEOUT_RESERVED_FOR_PENDING
    ),
    Result.OVERFLOWS_TIMEOUT: case(hold(timeout=MAX_TIMEOUT + 1), results=Result.OVERFLOWS_TIMEOUT),
    Result.DEBIT_ACCOUNT_NOT_FOUND: case(
        pay(debit="nobody"), results=Result.DEBIT_ACCOUNT_NOT_FOUND
    ),
    Result.CREDIT_ACCOUNT_NOT_FOUND: case(
        pay(credit="nobody"), results=Result.CREDIT_ACCOUNT_NOT_FOUND
    ),
    Result.ASSET_MISMATCH: case(pay(credit="miles"), results=Result.ASSET_MISMATCH),
    # alice holds 100.
    Result.EXCEEDS_CREDITS: case(pay(amount=101), results=Result.EXCEEDS_CREDITS),
    # float was debited 50.
    Result.EXCEEDS_DEBITS: case(
        pay(debit="bank", credit="float", amount=51), results=Result.EXCEEDS_DEBITS
    ),
    # bank was debited 100 already.
    Result.OVERFLOWS: case(
        pay(debit="bank", credit="shop", amount=MAX_AMOUNT - 99), results=Result.OVERFLOWS
    ),
    Result.PENDING_TRANSFER_NOT_FOUND: case(post(), results=Result.PENDING_TRANSFER_NOT_FOUND),
    Result.PENDING_TRANSFER_NOT_PENDING: case(
        post(pending_id="pay-1"),
        before=((pay(),),),
        results=Result.PENDING_TRANSFER_NOT_PENDING,
    ),
    Result.PENDING_TRANSFER_ALREADY_POSTED: case(
        post("post-2"),
        before=((hold(),), (post(),)),
        results=Result.PENDING_TRANSFER_ALREADY_POSTED,
    ),
    Result.PENDING_TRANSFER_ALREADY_VOIDED: case(
        post(),
        before=((hold(),), (void(),)),
        results=Result.PENDING_TRANSFER_ALREADY_VOIDED,
    ),
    Result.PENDING_TRANSFER_EXPIRED: case(
        post(),
        before=((hold(timeout=60),),),
        later=60,
        results=Result.PENDING_TRANSFER_EXPIRED,
    ),
    Result.EXCEEDS_PENDING_TRANSFER_AMOUNT: case(
        post(amount=11), before=((hold(),),), results=Result.EXCEEDS_PENDING_TRANSFER_AMOUNT
    ),
    Result.PENDING_TRANSFER_HAS_DIFFERENT_ACCOUNTS: case(
        post(credit_account_id="bank"),
        before=((hold(),),),
        results=Result.PENDING_TRANSFER_HAS_DIFFERENT_ACCOUNTS,
    ),
    # A retry of a stored transfer with one field changed names that field.
    Result.EXISTS_WITH_DIFFERENT_FLAGS: case(
        pay(flags=PENDING), before=((pay(),),), results=Result.EXISTS_WITH_DIFFERENT_FLAGS
    ),
    Result.EXISTS_WITH_DIFFERENT_PENDING_ID: case(
        pay(pending_id="hold-1"),
        before=((pay(),),),
        results=Result.EXISTS_WITH_DIFFERENT_PENDING_ID,
    ),
    Result.EXISTS_WITH_DIFFERENT_TIMEOUT: case(
        hold(timeout=61),
        before=((hold(timeout=60),),),
        results=Result.EXISTS_WITH_DIFFERENT_TIMEOUT,
    ),
    Result.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID: case(
        pay(debit="bank"), before=((pay(),),), results=Result.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID
    ),
    Result.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID: case(
        pay(credit="bank"),
        before=((pay(),),),
        results=Result.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID,
    ),
    Result.EXISTS_WITH_DIFFERENT_AMOUNT: case(
        pay(amount=11), before=((pay(),),), results=Result.EXISTS_WITH_DIFFERENT_AMOUNT
    ),
    Result.EXISTS_WITH_DIFFERENT_ASSET: case(
        pay(asset="points:88vip"), before=((pay(),),), results=Result.EXISTS_WITH_DIFFERENT_ASSET
    ),
    Result.EXISTS_WITH_DIFFERENT_CODE: case(
        pay(code="refund"), before=((pay(),),), results=Result.EXISTS_WITH_DIFFERENT_CODE
    ),
    Result.EXISTS_WITH_DIFFERENT_REFERENCE: case(
        pay(reference="order-2"),
        before=((pay(reference="order-1"),),),
        results=Result.EXISTS_WITH_DIFFERENT_REFERENCE,
    ),
}


def test_every_result_has_an_example() -> None:
    # The net debit cap is the store's (it reads positions and caps): see
    # tests/ledger/test_liquidity.py.
    assert set(CASES) == set(Result) - {Result.NET_DEBIT_CAP_EXCEEDED}


@pytest.mark.parametrize("expected", list(CASES), ids=str)
def test_result(expected: Result) -> None:
    example = CASES[expected]
    ledger = Ledger(book().values(), now=NOW)
    for batch in example.before:
        ledger.submit(*batch)
    ledger.advance(example.later)
    outcome = ledger.submit(*example.batch)
    assert outcome.results == list(example.results)
    assert expected in outcome.results
    if not expected.succeeded:
        assert outcome.created == [] and outcome.accounts == {} and outcome.resolved == {}


# -- plain transfers -------------------------------------------------------------------


def test_a_transfer_debits_one_account_and_credits_the_other() -> None:
    outcome = apply(pay(amount=30))
    assert outcome.results == [Result.OK]
    assert totals(outcome, "alice") == (0, 30, 0, 100)
    assert totals(outcome, "shop") == (0, 0, 0, 30)


def test_only_the_accounts_a_batch_touched_come_back() -> None:
    assert set(apply(pay()).accounts) == {"alice", "shop"}


def test_a_transfer_is_stored_as_asked_and_posted() -> None:
    (created,) = apply(pay(reference="order-1", code="payment")).created
    assert created == Transfer(
        id="pay-1",
        debit_account_id="alice",
        credit_account_id="shop",
        amount=10,
        asset="CNY",
        code="payment",
        reference="order-1",
        flags=TransferFlags.NONE,
        pending_id="",
        timeout=0,
        state=PendingState.POSTED,
        created_at=NOW,
        expires_at=None,
        requested_amount=10,
    )


def test_an_account_may_spend_exactly_what_it_holds() -> None:
    outcome = apply(pay(amount=100))
    assert outcome.results == [Result.OK]
    assert outcome.accounts["alice"].balance == 0


def test_an_account_without_a_limit_may_go_negative() -> None:
    outcome = apply(pay(debit="shop", credit="alice", amount=500))
    assert outcome.results == [Result.OK]
    assert outcome.accounts["shop"].balance == -500


def test_a_total_may_reach_the_largest_amount_but_not_pass_it() -> None:
    outcome = apply(pay(debit="bank", credit="shop", amount=MAX_AMOUNT - 100))
    assert outcome.results == [Result.OK]
    assert outcome.accounts["bank"].debits_posted == MAX_AMOUNT


def test_apply_transfers_leaves_its_arguments_alone() -> None:
    stored = Ledger(book().values(), now=NOW)
    stored.submit(hold())
    stored.submit(pay("fails", amount=1_000))
    accounts, transfers, failures = stored.accounts, stored.transfers, stored.failures
    before = copy.deepcopy((accounts, transfers, failures))
    batch = [pay(), post(), pay("fails")]
    outcome = apply_transfers(batch, accounts, transfers, failures, NOW)
    assert outcome.results == [Result.OK, Result.OK, Result.ID_ALREADY_FAILED]
    assert (accounts, transfers, failures) == before
    assert all(outcome.accounts[key] is not accounts[key] for key in outcome.accounts)


# -- retries ---------------------------------------------------------------------------


def test_a_retry_changes_nothing() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(pay())
    totals_before = ledger.totals()
    outcome = ledger.submit(pay())
    assert outcome.results == [Result.EXISTS]
    assert outcome.created == [] and outcome.accounts == {}
    assert ledger.totals() == totals_before


def test_a_retry_within_the_same_batch_is_exists() -> None:
    outcome = apply(pay(), pay())
    assert outcome.results == [Result.OK, Result.EXISTS]
    assert totals(outcome, "alice") == (0, 10, 0, 100)


def test_a_retry_is_compared_before_anything_else_is_checked() -> None:
    """A stored id answers for itself even if the retry is malformed otherwise."""
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(pay())
    assert ledger.submit(pay(amount=-1)).results == [Result.EXISTS_WITH_DIFFERENT_AMOUNT]


def test_a_retried_post_may_leave_accounts_and_asset_blank_or_name_them() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold())
    ledger.submit(post())
    named = post(debit_account_id="alice", credit_account_id="shop", asset="CNY")
    assert ledger.submit(post(), named).results == [Result.EXISTS, Result.EXISTS]


def test_a_retried_post_must_ask_for_the_same_amount() -> None:
    """`amount` 0 (the whole hold) and the hold's amount post the same, but differ as requests."""
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold())
    ledger.submit(post())
    assert ledger.submit(post(amount=10)).results == [Result.EXISTS_WITH_DIFFERENT_AMOUNT]


# -- failures stay failed ---------------------------------------------------------------


def test_a_failure_is_recorded_against_the_id() -> None:
    assert apply(pay(amount=1_000)).failed == {"pay-1": Result.EXCEEDS_CREDITS}


def test_a_failed_id_stays_failed_even_when_the_request_would_now_succeed() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(pay(amount=1_000))
    outcome = ledger.submit(pay(amount=10))
    assert outcome.results == [Result.ID_ALREADY_FAILED]
    assert outcome.failed == {}  # already recorded, with its first reason
    assert ledger.failures == {"pay-1": Result.EXCEEDS_CREDITS}


def test_an_id_that_failed_earlier_in_the_batch_is_refused_later_in_it() -> None:
    outcome = apply(pay(amount=1_000), pay(amount=10))
    assert outcome.results == [Result.EXCEEDS_CREDITS, Result.ID_ALREADY_FAILED]


@pytest.mark.parametrize(
    ("batch", "results"),
    [
        pytest.param(
            (pay("a", flags=LINKED), pay("b", amount=1_000)),
            [Result.LINKED_EVENT_FAILED, Result.EXCEEDS_CREDITS],
            id="linked_event_failed",
        ),
        pytest.param((pay("a", flags=LINKED),), [Result.LINKED_EVENT_CHAIN_OPEN], id="chain_open"),
        pytest.param((pay("a b"),), [Result.ID_INVALID], id="id_invalid"),
    ],
)
def test_failures_that_are_not_the_requests_own_are_not_recorded(
    batch: tuple[TransferRequest, ...], results: list[Result]
) -> None:
    outcome = apply(*batch)
    assert outcome.results == results
    assert "a" not in outcome.failed and "a b" not in outcome.failed


def test_a_retry_with_different_fields_does_not_mark_the_transfer_failed() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(pay())
    assert ledger.submit(pay(amount=11)).failed == {}
    assert ledger.submit(pay()).results == [Result.EXISTS]


def test_an_id_undone_with_its_chain_can_be_used_again() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(pay("a", flags=LINKED), pay("b", amount=1_000))
    assert ledger.submit(pay("a")).results == [Result.OK]


# -- linked chains ---------------------------------------------------------------------


def test_a_failed_chain_is_undone_entirely() -> None:
    outcome = apply(
        pay("a", flags=LINKED),
        pay("b", debit="bank", credit="alice", flags=LINKED),
        pay("c", amount=1_000),
    )
    assert outcome.results == [
        Result.LINKED_EVENT_FAILED,
        Result.LINKED_EVENT_FAILED,
        Result.EXCEEDS_CREDITS,
    ]
    assert outcome.created == [] and outcome.accounts == {}


def test_chains_succeed_or_fail_independently() -> None:
    outcome = apply(
        pay("a"),
        pay("b", flags=LINKED),
        pay("c", amount=1_000),
        pay("d"),
    )
    assert outcome.results == [
        Result.OK,
        Result.LINKED_EVENT_FAILED,
        Result.EXCEEDS_CREDITS,
        Result.OK,
    ]
    assert [t.id for t in outcome.created] == ["a", "d"]
    assert totals(outcome, "alice") == (0, 20, 0, 100)


def test_a_chain_sees_what_its_earlier_transfers_did() -> None:
    """alice can spend 150 once the chain has paid her 50 more."""
    outcome = apply(
        pay("top-up", debit="bank", credit="alice", amount=50, flags=LINKED),
        pay("spend", amount=150),
    )
    assert outcome.results == [Result.OK, Result.OK]


def test_a_failed_chain_undoes_the_posts_it_made() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold())
    outcome = ledger.submit(post(flags=POST | LINKED), pay("b", amount=1_000))
    assert outcome.results == [Result.LINKED_EVENT_FAILED, Result.EXCEEDS_CREDITS]
    assert outcome.resolved == {}
    assert ledger.transfers["hold-1"].state is PendingState.PENDING
    assert ledger.submit(post()).results == [Result.OK]


def test_an_open_chain_is_not_applied_even_if_every_request_is_valid() -> None:
    outcome = apply(pay("a"), pay("b", flags=LINKED), pay("c", flags=LINKED))
    assert outcome.results == [
        Result.OK,
        Result.LINKED_EVENT_FAILED,
        Result.LINKED_EVENT_CHAIN_OPEN,
    ]
    assert [t.id for t in outcome.created] == ["a"]


def test_chains_group_each_linked_request_with_the_next() -> None:
    batch = [pay("a"), pay("b", flags=LINKED), pay("c"), pay("d", flags=LINKED)]
    assert chains(batch) == [[0], [1, 2], [3]]


# -- two-phase transfers ------------------------------------------------------------------


def test_a_pending_transfer_holds_the_amount_without_moving_it() -> None:
    outcome = apply(hold(amount=30))
    assert totals(outcome, "alice") == (30, 0, 0, 100)
    assert totals(outcome, "shop") == (0, 0, 30, 0)
    assert outcome.created[0].state is PendingState.PENDING


def test_a_hold_counts_against_the_limit() -> None:
    outcome = apply(hold("hold-1", amount=60), pay(amount=50))
    assert outcome.results == [Result.OK, Result.EXCEEDS_CREDITS]
    assert outcome.accounts["alice"].available == 40


def test_posting_with_no_amount_posts_the_whole_hold() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold(amount=30))
    outcome = ledger.submit(post())
    assert outcome.results == [Result.OK]
    assert outcome.resolved == {"hold-1": PendingState.POSTED_PENDING}
    assert totals(outcome, "alice") == (0, 30, 0, 100)
    assert totals(outcome, "shop") == (0, 0, 0, 30)


def test_posting_part_of_a_hold_releases_the_rest() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold(amount=30))
    outcome = ledger.submit(post(amount=12))
    assert totals(outcome, "alice") == (0, 12, 0, 100)
    assert totals(outcome, "shop") == (0, 0, 0, 12)


def test_a_post_is_stored_with_the_pending_transfers_accounts_and_the_amount_posted() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold(amount=30))
    (created,) = ledger.submit(post(amount=12)).created
    assert (created.debit_account_id, created.credit_account_id, created.asset) == (
        "alice",
        "shop",
        "CNY",
    )
    assert (created.amount, created.requested_amount, created.state) == (
        12,
        12,
        PendingState.POSTED,
    )


def test_voiding_a_hold_releases_it() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold(amount=30))
    outcome = ledger.submit(void())
    assert outcome.results == [Result.OK]
    assert outcome.resolved == {"hold-1": PendingState.VOIDED}
    assert totals(outcome, "alice") == (0, 0, 0, 100)
    assert totals(outcome, "shop") == (0, 0, 0, 0)


def test_a_void_names_the_whole_amount_or_none() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold(amount=30))
    assert ledger.submit(void("void-1", amount=10)).results == [
        Result.EXCEEDS_PENDING_TRANSFER_AMOUNT
    ]
    assert ledger.submit(void("void-2", amount=30)).results == [Result.OK]


def test_a_hold_can_be_posted_in_the_batch_that_made_it() -> None:
    outcome = apply(hold(), post())
    assert outcome.results == [Result.OK, Result.OK]
    assert [t.id for t in outcome.created] == ["hold-1", "post-1"]
    assert outcome.resolved == {"hold-1": PendingState.POSTED_PENDING}
    assert totals(outcome, "alice") == (0, 10, 0, 100)


def test_a_hold_with_a_timeout_expires_that_many_seconds_after_it_was_made() -> None:
    (created,) = apply(hold(timeout=60)).created
    assert created.expires_at == NOW + timedelta(seconds=60)


def test_a_hold_without_a_timeout_never_expires() -> None:
    (created,) = apply(hold()).created
    assert created.expires_at is None


def test_the_longest_timeout_is_accepted() -> None:
    assert apply(hold(timeout=MAX_TIMEOUT)).results == [Result.OK]


def test_a_post_or_void_cannot_carry_a_timeout() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold())
    assert ledger.submit(post(timeout=5)).results == [Result.TIMEOUT_RESERVED_FOR_PENDING]


def test_a_post_cannot_ask_for_a_negative_amount() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold())
    assert ledger.submit(post(amount=-1)).results == [Result.AMOUNT_MUST_BE_POSITIVE]


def test_a_hold_past_its_time_cannot_be_posted_even_before_the_sweep() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold(timeout=60))
    later = NOW + timedelta(seconds=60)
    outcome = apply_transfers([post()], ledger.accounts, ledger.transfers, {}, later)
    assert outcome.results == [Result.PENDING_TRANSFER_EXPIRED]
    assert ledger.transfers["hold-1"].state is PendingState.PENDING  # the sweep's job


def test_a_hold_can_be_posted_until_its_last_second() -> None:
    ledger = Ledger(book().values(), now=NOW)
    ledger.submit(hold(timeout=60))
    ledger.advance(59)
    assert ledger.submit(post()).results == [Result.OK]


# -- expiry ------------------------------------------------------------------------------


def stored_hold(**changes: Any) -> tuple[Transfer, dict[str, Account]]:
    outcome = apply(hold(**changes))
    accounts = book()
    accounts.update(outcome.accounts)
    return outcome.created[0], accounts


def test_expire_due_releases_a_hold_when_its_time_comes() -> None:
    transfer, accounts = stored_hold(amount=30, timeout=60)
    resolved, changed = expire_due([transfer], accounts, NOW + timedelta(seconds=60))
    assert resolved == {"hold-1": PendingState.EXPIRED}
    assert changed["alice"].totals() == (0, 0, 0, 100)
    assert changed["shop"].totals() == (0, 0, 0, 0)
    assert accounts["alice"].debits_pending == 30  # its input is left alone


def test_expire_due_leaves_a_hold_alone_before_its_time() -> None:
    transfer, accounts = stored_hold(timeout=60)
    assert expire_due([transfer], accounts, NOW + timedelta(seconds=59)) == ({}, {})


def test_expire_due_leaves_holds_without_a_timeout_or_already_resolved_alone() -> None:
    endless, accounts = stored_hold()
    posted = dataclasses.replace(
        stored_hold(timeout=1)[0], id="hold-2", state=PendingState.POSTED_PENDING
    )
    assert expire_due([endless, posted], accounts, NOW + timedelta(days=365)) == ({}, {})


# -- small things ---------------------------------------------------------------------------


@pytest.mark.parametrize("result", list(Result), ids=str)
def test_only_ok_and_exists_count_as_success(result: Result) -> None:
    assert result.succeeded is (result in (Result.OK, Result.EXISTS))
