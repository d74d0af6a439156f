"""How the fault run judges what an acknowledged step promised about its order.

The run compares each client's last acknowledged step with what the database
shows afterwards. A promise stated wrongly makes the run cry loss where there
is none (and hide a loss the other way): booking the carrier (the ship step)
leaves an order `paid` with its carrier booked until the carrier's pickup
moves it to `shipped`, so a client whose load stopped right after its ship
step leaves an order that is `paid` and booked, and nothing is lost.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench.faults import Endpoints, Load, Window, judge, shown

ORDER = "ord_1"


def _lost(last: str, state: str, *, booked: bool) -> int:
    load = Load(cluster=None, shop=None, buyers=1, stop_at=0.0)  # type: ignore[arg-type]
    load.orders["buyer-1"] = (ORDER, last, 10.0)
    view: dict[str, Any] = {
        "orders": {"buyer-1": [(ORDER, shown(state, booked))]},
        "doubled_ledger": 0,
        "outbox": [],
        "committed_transfers": set(),
        "doubled_transfers": set(),
    }
    window = Window("network", started=9.0, ended=12.0)
    rows = judge(load, [window], view, (True, "ok"), Endpoints(port=0))
    return int(rows[0]["acknowledged_lost"])


@pytest.mark.parametrize(
    ("last", "state", "booked"),
    [
        ("create", "reserved", False),
        ("pay", "paid", False),
        ("ship", "paid", True),  # booked, not yet picked up
        ("ship", "shipped", True),
        ("picked_up", "shipped", True),
        ("delivered", "delivered", True),
        ("confirm", "completed", True),
    ],
)
def test_an_order_showing_what_its_last_step_promised_is_kept(
    last: str, state: str, booked: bool
) -> None:
    assert _lost(last, state, booked=booked) == 0


@pytest.mark.parametrize(
    ("last", "state", "booked"),
    [
        ("pay", "reserved", False),
        ("ship", "paid", False),  # the booking is not there
        ("picked_up", "paid", True),
        ("delivered", "shipped", True),
        ("confirm", "delivered", True),
    ],
)
def test_an_order_missing_what_its_last_step_promised_is_lost(
    last: str, state: str, booked: bool
) -> None:
    assert _lost(last, state, booked=booked) == 1
