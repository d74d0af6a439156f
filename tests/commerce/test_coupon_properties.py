"""Properties of coupons: the money always adds up, and a campaign never issues beyond its stock.

The first is pure (`hutong.commerce.coupons.rules` and `legs`): whatever the
funders' split, the discount, the refunds and a cancellation after them, the
funders pay their shares when the order is paid, the wallet's refunds and
the coupon's shares add up to the refunds exactly, nobody's part is negative
where it must not be, and each funder ends up paying its share of what the
buyer kept. The second runs concurrent claims
through the switch's own exactly-once write on SQLite and PostgreSQL: the
stock and the per-buyer limit hold, and every claim that could be served is.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hutong.commerce.coupons.legs import (
    funder_account,
    funding_legs,
    release_legs,
    return_legs,
)
from hutong.commerce.coupons.rules import funder_deltas, funding_shares, share_returned
from hutong.payments.legs import merchant_receivable
from tests.harness.coupon_claims import MERCHANT, claim_desk


@st.composite
def fundings(draw: st.DrawFn) -> dict[str, int]:
    n = draw(st.integers(1, 4))
    cuts = sorted(draw(st.sets(st.integers(1, 9_999), min_size=n - 1, max_size=n - 1)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    names = [MERCHANT, "host.example", "platform.example", "brand.example"]
    return dict(zip(draw(st.permutations(names))[:n], shares, strict=True))


def _net(legs: list[Any], account: str) -> int:
    """What the legs moved into `account` (credits less debits)."""
    return sum(
        (leg.amount if leg.credit_account_id == account else 0)
        - (leg.amount if leg.debit_account_id == account else 0)
        for leg in legs
    )


@settings(max_examples=300, deadline=None)
@given(funding=fundings(), total=st.integers(2, 10**9), data=st.data())
def test_coupon_funding_and_refunds_always_sum_exactly(
    funding: dict[str, int], total: int, data: st.DataObject
) -> None:
    discount = data.draw(st.integers(1, total - 1), label="discount")
    refunds = data.draw(st.lists(st.integers(1, total), max_size=6), label="refunds")
    cancelled = data.draw(st.booleans(), label="cancelled before completion after the refunds")
    # Paid: the funders pay their shares of the whole discount.
    legs: list[Any] = funding_legs("o", MERCHANT, funder_deltas(funding, discount, 0, discount))
    refunded = wallet = returned = 0
    for n, asked in enumerate(refunds):
        amount = min(asked, total - refunded)
        if amount == 0:
            continue
        coupon_part = share_returned(discount, total, refunded + amount) - returned
        assert 0 <= coupon_part <= amount  # the wallet's part is never negative
        parts = funder_deltas(funding, discount, returned, returned + coupon_part)
        assert sum(parts.values()) == coupon_part
        legs += return_legs("o", f"r{n}", MERCHANT, parts)
        wallet += amount - coupon_part
        refunded += amount
        returned += coupon_part
    if cancelled:  # everything left goes back: the wallet's part, and the funders' rest
        legs += release_legs("o", MERCHANT, funder_deltas(funding, discount, returned, discount))
        wallet += (total - refunded) - (discount - returned)
        refunded, returned = total, discount

    assert wallet + returned == refunded
    assert wallet <= total - discount  # the wallet never gives back more than it took
    if refunded == total:
        assert (wallet, returned) == (total - discount, discount)
    owed, kept = funding_shares(funding, discount), funding_shares(funding, returned)
    assert sum(owed.values()) == discount
    others = 0
    for funder in funding:
        paid = -_net(legs, funder_account(funder))
        if funder == MERCHANT:
            assert paid == 0  # it funds its share by receiving less
        else:
            assert paid == owed[funder] - kept[funder]
            others += paid
    assert _net(legs, merchant_receivable(MERCHANT)) == others
    assert all(leg.amount > 0 for leg in legs)
    assert len({leg.id for leg in legs}) == len(legs)  # no leg id posted twice


# -- concurrent claims on one campaign ----------------------------------------------------------


async def _claims(url: str, stock: int, per_buyer: int, buyers: list[int]) -> None:
    async with claim_desk(url, released=stock, per_buyer=per_buyer) as desk:
        answers = await asyncio.gather(
            *(desk.claim(f"b-{buyer}", f"m-{n}") for n, buyer in enumerate(buyers))
        )
        statuses = [answer.status for answer in answers]
        out = await desk.outcome()
    servable = min(stock, sum(min(n, per_buyer) for n in Counter(buyers).values()))
    assert out.issued == out.rows == statuses.count(201) == servable
    assert all(count <= per_buyer for count in out.per_buyer.values())
    assert out.refusals.total() == statuses.count(409) == len(buyers) - servable
    assert set(out.refusals) <= {"coupon_exhausted", "coupon_limit_reached"}


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stock=st.integers(1, 8),
    per_buyer=st.integers(1, 3),
    buyers=st.lists(st.integers(0, 5), min_size=1, max_size=20),
)
def test_concurrent_claims_never_issue_beyond_the_stock_or_a_buyers_limit(
    database_url: str, stock: int, per_buyer: int, buyers: list[int]
) -> None:
    asyncio.run(_claims(database_url, stock, per_buyer, buyers))
