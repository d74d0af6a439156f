"""The ledger's guarantees, checked on random sequences of batches.

`Ledger` below is a tiny in-memory stand-in for the store: it keeps the
accounts, transfers and failures, sweeps expired holds when the clock has
moved, feeds each batch through `apply_transfers` and merges the outcome
back. The scenarios mix plain and pending transfers, posts (whole, exact,
partial, too much), voids, linked chains (open ones too), retries with the
same or altered fields, replays of whole earlier chains and clock advances,
over a few accounts in one or two assets with random limit flags.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.ledger.engine import BatchOutcome, chains
from hutong.ledger.models import (
    MAX_AMOUNT,
    Account,
    AccountFlags,
    PendingState,
    Result,
    Transfer,
    TransferFlags,
    TransferRequest,
)
from tests.harness.ledger_model import PENDING, START, Ledger  # noqa: F401

ASSETS = ("CNY", "points:88vip")

LINKED = TransferFlags.LINKED
POST = TransferFlags.POST_PENDING
VOID = TransferFlags.VOID_PENDING

T = TypeVar("T")

CHAIN_FAILURES = frozenset({Result.LINKED_EVENT_FAILED, Result.LINKED_EVENT_CHAIN_OPEN})


# -- the simulator ------------------------------------------------------------


# -- invariants -----------------------------------------------------------------


def check_invariants(ledger: Ledger) -> None:
    # 1. Every asset balances, posted and pending.
    per_asset: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for account in ledger.accounts.values():
        sums = per_asset[account.asset]
        for position, value in enumerate(account.totals()):
            assert 0 <= value <= MAX_AMOUNT, account
            sums[position] += value
    for asset, (
        debits_pending,
        debits_posted,
        credits_pending,
        credits_posted,
    ) in per_asset.items():
        assert debits_posted == credits_posted, asset
        assert debits_pending == credits_pending, asset

    # 2. No account breaks its limit flag (pending holds count).
    for account in ledger.accounts.values():
        if account.flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS:
            assert account.debits_pending + account.debits_posted <= account.credits_posted
        if account.flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS:
            assert account.credits_pending + account.credits_posted <= account.debits_posted

    # 5. Each account's totals are the sums of its transfers: posted from the
    # transfers in state `posted` that move money (plain transfers and posts;
    # a void is stored as `posted` too but moves nothing), pending from the
    # pending transfers still pending.
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for transfer in ledger.transfers.values():
        debit, credit = expected[transfer.debit_account_id], expected[transfer.credit_account_id]
        if transfer.flags & PENDING:
            if transfer.state is PendingState.PENDING:
                debit[0] += transfer.amount
                credit[2] += transfer.amount
        elif transfer.state is PendingState.POSTED and not transfer.flags & VOID:
            debit[1] += transfer.amount
            credit[3] += transfer.amount
    for key, account in ledger.accounts.items():
        assert list(account.totals()) == expected.get(key, [0, 0, 0, 0]), key
    assert set(expected) <= set(ledger.accounts)

    assert not set(ledger.transfers) & set(ledger.failures)


def check_batch(batch: Sequence[TransferRequest], outcome: BatchOutcome) -> None:
    """What every outcome promises, whatever the batch."""
    assert len(outcome.results) == len(batch)
    assert all(isinstance(result, Result) for result in outcome.results)
    # One transfer created per `ok`, in order; `exists` creates nothing.
    created = [
        request.id
        for request, result in zip(batch, outcome.results, strict=True)
        if result is Result.OK
    ]
    assert [transfer.id for transfer in outcome.created] == created
    # 4. A linked chain succeeds or fails as a whole, and a failed chain
    # names exactly one culprit.
    for chain in chains(batch):
        results = [outcome.results[index] for index in chain]
        if all(result.succeeded for result in results):
            continue
        assert not any(result.succeeded for result in results), results
        culprits = [result for result in results if result is not Result.LINKED_EVENT_FAILED]
        assert len(culprits) == 1, results
        if culprits[0] is Result.LINKED_EVENT_CHAIN_OPEN:
            assert chain[-1] == len(batch) - 1
            assert results[-1] is Result.LINKED_EVENT_CHAIN_OPEN


# -- operations -------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """A plain or pending transfer between two of the accounts."""

    debit: int
    credit: int  # counted from the debit account, so rarely the same one
    same_account: bool
    amount: int
    pending: bool
    timeout: int
    other_asset: bool
    code: str
    linked: bool


@dataclass(frozen=True)
class Resolve:
    """Post or void an earlier pending transfer (or, rarely, any earlier request)."""

    target: int
    among: str  # live (still-held pendings), pending (any pending request), request (any)
    void: bool
    mode: str  # whole (amount 0), exact, partial, over
    accounts: str  # blank (left to the pending transfer), same, swapped
    linked: bool


@dataclass(frozen=True)
class Retry:
    """Send an earlier request again, as it was or with one field altered."""

    target: int
    #: Any earlier request, not only one that succeeded.
    any_request: bool
    alter: str | None


@dataclass(frozen=True)
class Malformed:
    """A request the engine must refuse before looking at any balance."""

    flaw: str
    linked: bool


Item = Move | Resolve | Retry | Malformed


@dataclass(frozen=True)
class Batch:
    items: tuple[Item, ...]
    #: Close a chain the last item leaves open (with one more transfer).
    close: bool


@dataclass(frozen=True)
class Advance:
    seconds: int


@dataclass(frozen=True)
class Replay:
    """Send a whole earlier chain again, verbatim, as a batch of its own."""

    target: int


Op = Batch | Advance | Replay


def weighted(*choices: tuple[int, st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """One of `choices`, each drawn in proportion to its weight."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda index: table[index])


amounts = weighted(
    (12, st.integers(1, 60)),
    (1, st.sampled_from([0, -3, MAX_AMOUNT // 2 + 1, MAX_AMOUNT])),
)
moves = st.builds(
    Move,
    debit=st.integers(0, 5),
    credit=st.integers(0, 5),
    same_account=st.integers(0, 19).map(lambda n: n == 0),
    amount=amounts,
    pending=st.booleans(),
    timeout=st.one_of(st.just(0), st.integers(1, 40)),
    other_asset=st.integers(0, 9).map(lambda n: n == 0),
    code=st.sampled_from(["payment", "commission", "fee"]),
    linked=st.integers(0, 4).map(lambda n: n == 0),
)
resolves = st.builds(
    Resolve,
    target=st.integers(0, 20),
    among=st.sampled_from(["live", "live", "live", "pending", "request"]),
    void=st.booleans(),
    mode=st.sampled_from(["whole", "exact", "partial", "over"]),
    accounts=st.sampled_from(["blank", "blank", "same", "swapped"]),
    linked=st.integers(0, 4).map(lambda n: n == 0),
)
retries = st.builds(
    Retry,
    target=st.integers(0, 40),
    any_request=st.integers(0, 3).map(lambda n: n == 0),
    alter=st.one_of(
        st.none(),
        st.none(),
        st.sampled_from(
            [
                "flags",
                "pending_id",
                "timeout",
                "debit_account_id",
                "credit_account_id",
                "amount",
                "asset",
                "code",
                "reference",
            ]
        ),
    ),
)


#: Flawed requests (built on a valid plain transfer) and the result each gets.
MALFORMED = {
    "id": ({"id": "no spaces allowed"}, Result.ID_INVALID),
    "flags": ({"flags": PENDING | VOID}, Result.FLAGS_ARE_MUTUALLY_EXCLUSIVE),
    "code": ({"code": "gift"}, Result.CODE_INVALID),
    "pending_id": ({"pending_id": "t1"}, Result.PENDING_ID_MUST_NOT_BE_SET),
    "no_pending_id": ({"flags": POST}, Result.PENDING_ID_REQUIRED),
    "own_pending_id": ({"flags": VOID, "pending_id": "SELF"}, Result.PENDING_ID_MUST_DIFFER),
    "timeout": ({"timeout": 5}, Result.TIMEOUT_RESERVED_FOR_PENDING),
    "long_timeout": ({"flags": PENDING, "timeout": 2**31}, Result.OVERFLOWS_TIMEOUT),
    "asset": ({"asset": "USD"}, Result.ASSET_INVALID),
    "debit": ({"debit_account_id": "nobody"}, Result.DEBIT_ACCOUNT_NOT_FOUND),
    "credit": ({"credit_account_id": "nobody"}, Result.CREDIT_ACCOUNT_NOT_FOUND),
}

malformed = st.builds(
    Malformed,
    flaw=st.sampled_from(sorted(MALFORMED)),
    linked=st.integers(0, 4).map(lambda n: n == 0),
)
items = weighted((5, moves), (3, resolves), (2, retries), (1, malformed))
batches = st.builds(
    Batch,
    st.lists(items, min_size=1, max_size=6).map(tuple),
    close=st.integers(0, 5).map(lambda n: n != 0),
)
operations = weighted(
    (6, batches),
    (2, st.builds(Advance, st.integers(1, 50))),
    (1, st.builds(Replay, st.integers(0, 40))),
)
#: Each account: its asset (of two), its limit flag, what it starts with.
account_specs = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.sampled_from(
            [
                AccountFlags.NONE,
                AccountFlags.NONE,
                AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
                AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS,
            ]
        ),
        st.sampled_from([0, 0, 50, 200]),
    ),
    min_size=2,
    max_size=4,
)

#: The single field each alteration changes, and the result a retry then gets.
ALTERED = {
    "flags": Result.EXISTS_WITH_DIFFERENT_FLAGS,
    "pending_id": Result.EXISTS_WITH_DIFFERENT_PENDING_ID,
    "timeout": Result.EXISTS_WITH_DIFFERENT_TIMEOUT,
    "debit_account_id": Result.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID,
    "credit_account_id": Result.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID,
    "amount": Result.EXISTS_WITH_DIFFERENT_AMOUNT,
    "asset": Result.EXISTS_WITH_DIFFERENT_ASSET,
    "code": Result.EXISTS_WITH_DIFFERENT_CODE,
    "reference": Result.EXISTS_WITH_DIFFERENT_REFERENCE,
}


def differing_fields(request: TransferRequest, stored: Transfer) -> list[str]:
    """The fields in which a retry differs from the transfer stored under its id.

    A post or void may leave its accounts and asset blank (they are the
    pending transfer's); blank ones are not compared.
    """
    kept = stored.as_request()
    resolving = bool(stored.flags & (POST | VOID))
    return [
        name
        for name in ALTERED
        if getattr(request, name) != getattr(kept, name)
        and not (
            resolving
            and name in ("debit_account_id", "credit_account_id", "asset")
            and not getattr(request, name)
        )
    ]


def same_accounts(request: TransferRequest, pending: Transfer) -> bool:
    """Whether a post or void names the pending transfer's accounts (or none)."""
    return (
        request.debit_account_id in ("", pending.debit_account_id)
        and request.credit_account_id in ("", pending.credit_account_id)
        and request.asset in ("", pending.asset)
    )


def altered(request: TransferRequest, name: str) -> TransferRequest:
    """`request` with `name` changed to a value no stored transfer has."""
    value: object = {
        "flags": request.flags ^ PENDING,
        "pending_id": "ghost-pending",
        "timeout": request.timeout + 1,
        "debit_account_id": "ghost-debit",
        "credit_account_id": "ghost-credit",
        "amount": request.amount + 1,
        "asset": "points:ghost",
        "code": "refund",  # the scenarios never use it otherwise
        "reference": request.reference + "~",
    }[name]
    return dataclasses.replace(request, **{name: value})


@dataclass(frozen=True)
class Built:
    """A request made from an item, with what the scenario knows about it."""

    request: TransferRequest
    #: The field a retry altered.
    alteration: str | None = None
    #: The result the request must get (unless its chain fails elsewhere).
    expected: Result | None = None


class Scenario:
    """Runs operations on a `Ledger`, checking every guarantee as it goes."""

    def __init__(self, specs: list[tuple[int, AccountFlags, int]], two_assets: bool) -> None:
        assets = ASSETS if two_assets else ASSETS[:1]
        banks = [
            Account(id=f"bank-{n}", owner="o", asset=asset, kind="funding")
            for n, asset in enumerate(assets)
        ]
        self.ledger = Ledger(
            [
                *banks,
                *(
                    Account(
                        id=f"acct-{number}",
                        owner="o",
                        asset=assets[asset % len(assets)],
                        kind="user_balance",
                        flags=flags,
                    )
                    for number, (asset, flags, _) in enumerate(specs)
                ),
            ]
        )
        self.ids = list(self.ledger.accounts)
        self.counter = 0
        self.requests: list[TransferRequest] = []
        self.pendings: list[TransferRequest] = []
        self.succeeded: list[TransferRequest] = []
        self.chains: list[tuple[list[TransferRequest], list[Result]]] = []
        # Accounts start with money (a limited one could otherwise never move).
        deposits = []
        for number, (asset, flags, amount) in enumerate(specs):
            if not amount:
                continue
            bank, account = banks[asset % len(banks)].id, f"acct-{number}"
            outward = flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
            deposits.append(
                TransferRequest(
                    id=f"deposit-{number}",
                    debit_account_id=account if outward else bank,
                    credit_account_id=bank if outward else account,
                    amount=amount,
                    asset=banks[asset % len(banks)].asset,
                    code="deposit",
                )
            )
        if deposits:
            outcome = self.ledger.submit(*deposits)
            assert outcome.results == [Result.OK] * len(deposits)
            check_invariants(self.ledger)

    def new_id(self) -> str:
        self.counter += 1
        return f"t{self.counter}"

    # -- building requests ------------------------------------------------------

    def build(self, item: Item) -> Built | None:
        if isinstance(item, Move):
            accounts = self.ledger.accounts
            debit = accounts[self.ids[item.debit % len(self.ids)]]
            # The credit account holds the same asset, unless asked otherwise.
            peers = [
                key
                for key in self.ids
                if (accounts[key].asset == debit.asset) != item.other_asset
                and (key != debit.id or item.same_account)
            ] or [debit.id]
            credit = peers[item.credit % len(peers)]
            request = TransferRequest(
                id=self.new_id(),
                debit_account_id=debit.id,
                credit_account_id=credit,
                amount=item.amount,
                asset=debit.asset,
                code=item.code,
                reference=f"ref-{self.counter}",
                flags=(PENDING if item.pending else TransferFlags.NONE)
                | (LINKED if item.linked else TransferFlags.NONE),
                timeout=item.timeout if item.pending else 0,
            )
            if item.pending:
                self.pendings.append(request)
            return Built(request)
        if isinstance(item, Malformed):
            changes, _ = MALFORMED[item.flaw]
            request_id = self.new_id()
            fields = {
                key: request_id if value == "SELF" else value for key, value in changes.items()
            }
            fields["flags"] = fields.get("flags", TransferFlags.NONE) | (
                LINKED if item.linked else TransferFlags.NONE
            )
            base = TransferRequest(
                id=request_id,
                debit_account_id=self.ids[0],
                credit_account_id=self.ids[1],
                amount=1,
                asset=self.ledger.accounts[self.ids[0]].asset,
            )
            return Built(dataclasses.replace(base, **fields), expected=MALFORMED[item.flaw][1])
        if isinstance(item, Resolve):
            held = [
                request
                for request in self.pendings
                if request.id in self.ledger.transfers
                and self.ledger.transfers[request.id].state is PendingState.PENDING
            ]
            candidates = {
                "live": held,
                "pending": self.pendings,
                "request": self.requests,
            }[item.among]
            if not candidates:
                if item.among == "live":
                    return None
                target = TransferRequest(id="never-sent", amount=10)
            else:
                target = candidates[item.target % len(candidates)]
            amount = {
                "whole": 0,
                "exact": target.amount,
                "partial": max(1, target.amount // 2),
                "over": target.amount + 1,
            }[item.mode]
            debit, credit, asset = {
                "blank": ("", "", ""),
                "same": (target.debit_account_id, target.credit_account_id, target.asset),
                "swapped": (target.credit_account_id, target.debit_account_id, target.asset),
            }[item.accounts]
            request = TransferRequest(
                id=self.new_id(),
                debit_account_id=debit,
                credit_account_id=credit,
                asset=asset,
                amount=amount,
                code="payment",
                flags=(VOID if item.void else POST)
                | (LINKED if item.linked else TransferFlags.NONE),
                pending_id=target.id,
            )
            return Built(request)
        candidates = self.requests if item.any_request else self.succeeded or self.requests
        if not candidates:
            return None
        original = candidates[item.target % len(candidates)]
        if item.alter is None:
            return Built(original)
        return Built(altered(original, item.alter), alteration=item.alter)

    # -- running ------------------------------------------------------------------

    def run(self, operation: Op) -> None:
        if isinstance(operation, Batch):
            self.batch(operation)
        elif isinstance(operation, Advance):
            self.advance(operation.seconds)
        else:
            self.replay(operation.target)
        check_invariants(self.ledger)

    def batch(self, operation: Batch) -> None:
        built = [entry for entry in map(self.build, operation.items) if entry is not None]
        if not built:
            return
        if operation.close and built[-1].request.flags & LINKED:
            built.append(
                Built(
                    TransferRequest(
                        id=self.new_id(),
                        debit_account_id=self.ids[0],
                        credit_account_id=self.ids[1],
                        amount=1,
                        asset=self.ledger.accounts[self.ids[0]].asset,
                    )
                )
            )
        batch = [entry.request for entry in built]
        ledger = self.ledger
        stored_before = set(ledger.transfers)
        failed_before = set(ledger.failures)
        expired_before = {
            key for key, t in ledger.transfers.items() if t.state is PendingState.EXPIRED
        }
        outcome = ledger.submit(*batch)
        check_batch(batch, outcome)

        for entry, result in zip(built, outcome.results, strict=True):
            if result in CHAIN_FAILURES:
                continue  # never looked at, or undone with its chain
            request, alteration = entry.request, entry.alteration
            if entry.expected is not None:
                assert result is entry.expected, (request, result)
            # 3. A retry of a stored id never applies again; a failed id stays failed.
            if request.id in stored_before:
                differing = differing_fields(request, ledger.transfers[request.id])
                if not differing:
                    assert result is Result.EXISTS, (request, result)
                else:
                    assert result in {ALTERED[name] for name in differing}, (request, result)
                if alteration is not None and len(differing) == 1:
                    assert result is ALTERED[alteration]
            elif request.id in failed_before:
                assert result is Result.ID_ALREADY_FAILED, (request, result)
            # 6. A hold that expired cannot be posted or voided any more.
            if (
                alteration is None
                and request.flags & (POST | VOID)
                and request.id not in stored_before | failed_before
                and request.pending_id in expired_before
                and same_accounts(request, ledger.transfers[request.pending_id])
            ):
                assert result is Result.PENDING_TRANSFER_EXPIRED, (request, result)

        self.requests.extend(batch)
        self.succeeded.extend(
            request
            for request, result in zip(batch, outcome.results, strict=True)
            if result is Result.OK
        )
        for chain in chains(batch):
            self.chains.append(
                ([batch[index] for index in chain], [outcome.results[index] for index in chain])
            )

    def advance(self, seconds: int) -> None:
        ledger = self.ledger
        ledger.advance(seconds)
        due = [
            t
            for t in ledger.transfers.values()
            if t.state is PendingState.PENDING
            and t.expires_at is not None
            and t.expires_at <= ledger.now
        ]
        # 6. Before the sweeper runs, a hold past its time already cannot be posted...
        for transfer in due:
            self.refused_as_expired(transfer)
        holds = ledger.totals()
        expired = ledger.expire()
        assert set(expired) == {t.id for t in due}
        # ...the sweep releases exactly those holds...
        released: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for transfer in due:
            released[transfer.debit_account_id][0] += transfer.amount
            released[transfer.credit_account_id][1] += transfer.amount
        for key, account in ledger.accounts.items():
            debits_pending, debits_posted, credits_pending, credits_posted = holds[key]
            assert account.totals() == (
                debits_pending - released[key][0],
                debits_posted,
                credits_pending - released[key][1],
                credits_posted,
            )
        # ...and afterwards it still cannot be posted or voided.
        for transfer in due:
            assert ledger.transfers[transfer.id].state is PendingState.EXPIRED
            self.refused_as_expired(transfer)

    def refused_as_expired(self, transfer: Transfer) -> None:
        for flag in (POST, VOID):
            request = TransferRequest(id="late-" + transfer.id, flags=flag, pending_id=transfer.id)
            outcome = self.ledger.dry_run([request])
            assert outcome.results == [Result.PENDING_TRANSFER_EXPIRED]
            assert not outcome.created and not outcome.accounts and not outcome.resolved

    def replay(self, target: int) -> None:
        if not self.chains:
            return
        requests, original = self.chains[target % len(self.chains)]
        ledger = self.ledger
        totals = ledger.totals()
        stored = set(ledger.transfers)
        failed = set(ledger.failures)
        outcome = ledger.submit(*requests)
        check_batch(requests, outcome)
        # 3. Replaying never applies anything twice.
        assert Result.OK not in outcome.results
        assert not outcome.created and not outcome.resolved
        assert ledger.totals() == totals
        assert set(ledger.transfers) == stored
        if all(result.succeeded for result in original):
            assert outcome.results == [Result.EXISTS] * len(requests)
        elif len(requests) == 1 and not requests[0].flags & LINKED and requests[0].id in failed:
            assert outcome.results == [Result.ID_ALREADY_FAILED]


@settings(max_examples=400, deadline=None)
@given(
    specs=account_specs,
    two_assets=st.booleans(),
    operations=st.lists(operations, min_size=1, max_size=16),
)
def test_random_histories_keep_every_guarantee(
    specs: list[tuple[int, AccountFlags, int]], two_assets: bool, operations: list[Op]
) -> None:
    scenario = Scenario(specs, two_assets)
    for operation in operations:
        scenario.run(operation)


# -- smaller properties ---------------------------------------------------------------


@given(st.lists(st.booleans(), max_size=12))
def test_chains_cover_the_batch_in_order(linked: list[bool]) -> None:
    batch = [
        TransferRequest(id=f"t{n}", flags=LINKED if flag else TransferFlags.NONE)
        for n, flag in enumerate(linked)
    ]
    groups = chains(batch)
    assert [index for group in groups for index in group] == list(range(len(batch)))
    for group in groups:
        assert group
        assert all(batch[index].flags & LINKED for index in group[:-1])
        if batch[group[-1]].flags & LINKED:
            assert group[-1] == len(batch) - 1  # only the batch's end leaves a chain open


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(st.integers(1, 1_000), min_size=1, max_size=6),
    post=st.lists(st.integers(0, 1_100), min_size=6, max_size=6),
)
def test_a_hold_is_released_in_full_whatever_part_is_posted(
    amounts: list[int], post: list[int]
) -> None:
    """Posting part of a hold moves that part and frees the rest of it."""
    ledger = Ledger(
        [
            Account(
                id="payer",
                owner="o",
                asset="CNY",
                kind="user_balance",
                flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
            ),
            Account(id="payee", owner="o", asset="CNY", kind="merchant_receivable"),
            Account(id="bank", owner="o", asset="CNY", kind="funding"),
        ]
    )
    deposit = TransferRequest(
        id="deposit",
        debit_account_id="bank",
        credit_account_id="payer",
        amount=sum(amounts),
        asset="CNY",
        code="deposit",
    )
    assert ledger.submit(deposit).results == [Result.OK]
    holds = [
        TransferRequest(
            id=f"hold-{n}",
            debit_account_id="payer",
            credit_account_id="payee",
            amount=amount,
            asset="CNY",
            flags=PENDING,
        )
        for n, amount in enumerate(amounts)
    ]
    assert ledger.submit(*holds).results == [Result.OK] * len(amounts)
    moved = 0
    for n, (amount, asked) in enumerate(zip(amounts, post, strict=False)):
        outcome = ledger.submit(
            TransferRequest(id=f"post-{n}", flags=POST, pending_id=f"hold-{n}", amount=asked)
        )
        if asked > amount:
            assert outcome.results == [Result.EXCEEDS_PENDING_TRANSFER_AMOUNT]
        else:
            assert outcome.results == [Result.OK]
            moved += asked or amount
    payer = ledger.accounts["payer"]
    assert payer.debits_posted == moved
    assert payer.debits_pending == sum(
        amount for amount, asked in zip(amounts, post, strict=False) if asked > amount
    )
    check_invariants(ledger)
