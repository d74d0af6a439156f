"""Every operator write over HTTP is exactly once per `Idempotency-Key`, or needs no key.

A write the operator repeats under its key (a retry after HAProxy lost the
answer) gets the first answer again (`x-hutong-replay: true`) and changes no
row; another request under the same key is 409 ``message_id_conflict`` and
changes nothing either. `test_every_operator_write_is_accounted_for` walks
the app's routes: a new operator write must join `CASES` (recorded) or
`NATURAL` (a repeat is already the same effect and the same answer, proved
in `tests/api/test_operator_natural.py`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hutong.api.app import create_app
from hutong.config import Settings
from hutong.protocol.signing import new_key_pair
from hutong.runtime.operator_messages import OPERATOR
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import messages
from tests.harness.assertions import assert_nack
from tests.harness.settlement import close
from tests.harness.subscriptions import record_pending
from tests.harness.switch import Clock, Switch, row_counts

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

#: A request: method, path, JSON body (None: no body).
Request = tuple[str, str, dict[str, Any] | None]
#: Makes what the request needs and returns it, and another request under the same key.
Prepare = Callable[[Switch, Clock], Awaitable[tuple[Request, Request]]]


def a_participant(subscriber_id: str, name: str = "") -> dict[str, Any]:
    return {
        "subscriber_id": subscriber_id,
        "roles": ["merchant"],
        "callback_url": "http://127.0.0.1:9/unused",
        "key_id": "k1",
        "public_key": new_key_pair().public_key,
        "name": name,
    }


async def _add(switch: Switch, _: Clock) -> tuple[Request, Request]:
    body = a_participant("shop.example", "Shop")
    return ("POST", "/operator/participants", body), (
        "POST",
        "/operator/participants",
        body | {"name": "Another shop"},
    )


async def _approve(switch: Switch, _: Clock) -> tuple[Request, Request]:
    now = switch.services.clock()
    for seller in ("seller.example", "other-seller.example"):
        await record_pending(switch.services.db, seller, now)
    path = "/operator/subscriptions/{}/approve"
    return ("POST", path.format("seller.example"), None), (
        "POST",
        path.format("other-seller.example"),
        None,
    )


async def _profile(switch: Switch, _: Clock) -> tuple[Request, Request]:
    for subscriber_id, roles in (("shop.example", ["merchant"]), ("douyin.example", ["platform"])):
        await (await switch.register(subscriber_id, roles)).aclose()
    path = "/operator/merchants/shop.example/profile"
    body = {"home_platform": "douyin.example", "self_operated": False}
    return ("PUT", path, body), ("PUT", path, body | {"self_operated": True})


async def _group(switch: Switch, _: Clock) -> tuple[Request, Request]:
    for subscriber_id in ("tmall.example", "taobao.example"):
        await (await switch.register(subscriber_id, ["platform"])).aclose()
    body = {"name": "alibaba", "members": ["tmall.example"], "valid_from": "2024-01-01"}
    other = body | {"members": ["tmall.example", "taobao.example"]}
    return ("POST", "/operator/groups", body), ("POST", "/operator/groups", other)


async def _limit(switch: Switch, _: Clock) -> tuple[Request, Request]:
    await (await switch.register("alipay.example", ["wallet"])).aclose()
    path = "/operator/liquidity/alipay.example"
    body = {"net_debit_cap": 50_000, "prefunded": 80_000, "reason": "deposit"}
    return ("POST", path, body), ("POST", path, body | {"net_debit_cap": 60_000})


async def _close(switch: Switch, _: Clock) -> tuple[Request, Request]:
    until = (switch.services.clock() - timedelta(hours=1)).isoformat()
    return ("POST", "/operator/settlement/close", {}), (
        "POST",
        "/operator/settlement/close",
        {"until": until},
    )


async def _settle(switch: Switch, clock: Clock) -> tuple[Request, Request]:
    first = (await close(switch))["window"]["id"]
    clock.advance(switch.services.settings.settlement_grace + 60)
    second = (await close(switch))["window"]["id"]
    path = "/operator/settlement/windows/{}/settle"
    return ("POST", path.format(first), None), ("POST", path.format(second), None)


@dataclass(frozen=True)
class Case:
    route: str
    method: str
    prepare: Prepare


CASES = [
    Case("/operator/participants", "POST", _add),
    Case("/operator/subscriptions/{subscriber_id:str}/approve", "POST", _approve),
    Case("/operator/merchants/{subscriber_id:str}/profile", "PUT", _profile),
    Case("/operator/groups", "POST", _group),
    Case("/operator/liquidity/{participant:str}", "POST", _limit),
    Case("/operator/settlement/close", "POST", _close),
    Case("/operator/settlement/windows/{window_id:str}/settle", "POST", _settle),
]

#: Operator writes whose repeat is already one effect and the same answer (no key needed).
NATURAL = {
    ("POST", "/operator/participants/{subscriber_id:str}/suspend"),
    ("POST", "/operator/participants/{subscriber_id:str}/reactivate"),
    ("POST", "/operator/participants/{subscriber_id:str}/revoke"),
    ("PUT", "/operator/apps/{subscriber_id:str}"),
    ("POST", "/operator/ledger/accounts"),
    ("POST", "/operator/ledger/transfers"),
    ("POST", "/operator/ledger/pending/{pending_id:str}/post"),
    ("POST", "/operator/ledger/pending/{pending_id:str}/void"),
    ("POST", "/operator/settlement/windows/{window_id:str}/reconcile/{participant:str}"),
}


async def send(switch: Switch, request: Request, key: str | None = "op-1") -> httpx.Response:
    method, path, body = request
    headers = {} if key is None else {"Idempotency-Key": key}
    return await switch.operator.request(method, path, json=body, headers=headers)


async def recorded_sender(switch: Switch, key: str) -> list[str]:
    async with switch.services.db.read() as conn:
        found = await conn.execute(select(messages.c.sender).where(messages.c.message_id == key))
        return [sender for (sender,) in found]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.route}" for c in CASES])
async def test_an_operator_write_repeated_under_its_key_is_done_once(
    case: Case, switch: Switch, clock: Clock
) -> None:
    request, other = await case.prepare(switch, clock)
    services = switch.services

    first = await send(switch, request)
    assert 200 <= first.status_code < 300, first.text
    assert "x-hutong-replay" not in first.headers
    assert await recorded_sender(switch, "op-1") == [OPERATOR]
    before = await row_counts(services)

    again = await send(switch, request)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["x-hutong-replay"] == "true"
    assert await row_counts(services) == before  # one effect

    changed = await send(switch, other)
    assert_nack(changed, 409, "message_id_conflict", case.route)
    assert await row_counts(services) == before  # nothing of the other request kept


def test_every_operator_write_is_accounted_for() -> None:
    data_dir = tempfile.mkdtemp()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{data_dir}/x.db", data_dir=data_dir)
    app = create_app(Services(settings=settings, db=Database(settings.database_url)))
    writes = {
        (method, route.path)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if any("operatorToken" in r for r in handler.resolve_security())
        for method in set(handler.http_methods or ()) & WRITES
    }
    recorded = {(case.method, case.route) for case in CASES}
    assert recorded & NATURAL == set()
    assert writes - recorded - NATURAL == set(), "a new operator write: add it to CASES"
    assert (recorded | NATURAL) - writes == set()


async def test_without_a_key_a_repeated_registration_is_refused_as_before(switch: Switch) -> None:
    """What a key is for: without one, the retry of a registration whose answer was lost
    is answered 409 ``participant_exists`` for what succeeded."""
    request = ("POST", "/operator/participants", a_participant("shop.example"))
    assert (await send(switch, request, key=None)).status_code == 201
    assert_nack(await send(switch, request, key=None), 409, "participant_exists")


async def test_a_refusal_under_a_key_is_the_answer_given_again(switch: Switch) -> None:
    request = ("POST", "/operator/liquidity/nobody.example", {"net_debit_cap": 1, "prefunded": 1})
    first = await send(switch, request, key="op-refused")
    assert_nack(first, 404, "unknown_participant")
    await (await switch.register("nobody.example", ["wallet"])).aclose()

    again = await send(switch, request, key="op-refused")

    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["x-hutong-replay"] == "true"


async def test_the_operator_and_a_participant_may_use_the_same_key(switch: Switch) -> None:
    """The operator's keys are a space of their own: a participant's message id never
    answers the operator's write, nor the reverse."""
    client = await switch.register("douyin.example", ["platform"])
    try:
        pinged = await client.post("/v1/ping", {"note": "hello"}, message_id="shared-1")
        assert pinged.status_code == 200, pinged.text

        request = ("POST", "/operator/participants", a_participant("shop.example"))
        registered = await send(switch, request, key="shared-1")
        assert registered.status_code == 201, registered.text
    finally:
        await client.aclose()
    assert sorted(await recorded_sender(switch, "shared-1")) == sorted([OPERATOR, "douyin.example"])


async def test_a_key_longer_than_a_message_id_is_refused_and_writes_nothing(
    switch: Switch,
) -> None:
    before = await row_counts(switch.services)
    request = ("POST", "/operator/participants", a_participant("shop.example"))
    refused = await send(switch, request, key="k" * 129)
    assert refused.status_code == 422, refused.text
    assert await row_counts(switch.services) == before


async def test_an_operator_write_under_a_key_runs_in_a_transaction_of_its_own(
    switch: Switch,
) -> None:
    """Not in a group commit: a settlement close sums its window's transfers under the
    window's lock, and every order write of a shared batch would wait for it."""
    batcher = switch.services.batcher()
    writes = batcher.writes
    request = ("POST", "/operator/participants", a_participant("shop.example"))
    assert (await send(switch, request, key="op-alone")).status_code == 201
    assert await recorded_sender(switch, "op-alone") == [OPERATOR]
    assert batcher.writes == writes
