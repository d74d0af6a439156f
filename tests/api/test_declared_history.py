"""Declared history cannot be rewritten, for every kind of policy, over real HTTP.

A version takes effect on its declaration day (UTC) or later; a back-dated
one is refused (``valid_from_in_past``, nothing written) unless the body says
``"correction": {"reason": ...}``: then it is stored beside a visible
correction record that the kind's history listing shows, and nothing
recorded before it (any row of any table) is altered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hutong.client import Client
from hutong.store.tables import metadata
from tests.harness.assertions import refused_without_writes
from tests.harness.switch import Switch, row_counts

HISTORY_REASON = "historical record: announced on the platform's blog"


@dataclass(frozen=True)
class Kind:
    """One kind of declared policy: where it is declared and where its history is listed."""

    name: str
    path: str
    roles: tuple[str, ...]
    status: int
    #: The body of a declaration from `valid_from` on.
    body: Callable[[date], dict[str, Any]]
    #: The signed GET that lists the owner's versions.
    history: Callable[[str], str]
    table: str

    def corrections_in(self, listing: Any) -> list[dict[str, Any]]:
        """The correction records a history listing shows, whatever its shape."""
        versions = listing if isinstance(listing, list) else listing["versions"]
        return [v["correction"] for v in versions if v.get("correction")]


def _owner(subscriber: str) -> str:
    return subscriber.split(".", 1)[0]


KINDS = [
    Kind(
        "link_rules",
        "/v1/link-policies",
        ("platform",),
        200,
        lambda day: {"source": "taobao", "treatment": "blocked", "valid_from": day.isoformat()},
        lambda owner: f"/policies/{_owner(owner)}/history",
        "link_rules",
    ),
    Kind(
        "acceptance_policies",
        "/v1/acceptance-policy",
        ("platform",),
        201,
        lambda day: {"valid_from": day.isoformat(), "refused": {"wechatpay.example": "rival"}},
        lambda owner: f"/v1/acceptance-policy/{owner}",
        "acceptance_policies",
    ),
    Kind(
        "pickup_policies",
        "/v1/pickup-policies",
        ("carrier",),
        200,
        lambda day: {"valid_from": day.isoformat(), "refused": ["sf.example"], "reason": "ours"},
        lambda owner: f"/v1/pickup-policies/{owner}",
        "pickup_policies",
    ),
    Kind(
        "host_carrier_policies",
        "/v1/carrier-policies",
        ("platform",),
        200,
        lambda day: {"valid_from": day.isoformat(), "refused": ["sf.example"], "reason": "ours"},
        lambda owner: f"/v1/carrier-policies/{owner}",
        "host_carrier_policies",
    ),
    Kind(
        "storefront_policies",
        "/v1/storefront-policies",
        ("platform",),
        201,
        lambda day: {
            "decision": "refuse",
            "valid_from": day.isoformat(),
            "home_platforms": ["taobao.example"],
            "reason": "no rival storefronts",
        },
        lambda owner: f"/v1/storefront-policies?host={owner}",
        "storefront_policies",
    ),
    Kind(
        "commission_schedules",
        "/v1/commission-schedules",
        ("platform",),
        201,
        lambda day: {"valid_from": day.isoformat(), "default_take_bps": 500},
        lambda owner: f"/v1/commission-schedules/{owner}",
        "commission_schedules",
    ),
]


@pytest.fixture(params=KINDS, ids=[k.name for k in KINDS])
def kind(request: pytest.FixtureRequest) -> Kind:
    param: Kind = request.param
    return param


@pytest.fixture
async def declarer(switch: Switch, kind: Kind) -> AsyncIterator[Client]:
    client = await switch.register("douyin.example", list(kind.roles))
    yield client
    await client.aclose()


def today(switch: Switch) -> date:
    return switch.services.clock().date()


async def history_of(switch: Switch, client: Client, kind: Kind) -> Any:
    path = kind.history(client.subscriber_id)
    if path.startswith("/v1/"):
        response = await client.get(path)
    else:
        async with httpx.AsyncClient(base_url=switch.url) as http:
            response = await http.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def all_rows(switch: Switch) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table: what the switch has recorded, to show nothing was altered.

    Not its processes' heartbeats (`switch_processes`), which move every second.
    """
    rows: dict[str, set[tuple[Any, ...]]] = {}
    async with switch.services.db.read() as conn:
        for table in metadata.sorted_tables:
            if table.name != "switch_processes":
                rows[table.name] = {tuple(r) for r in await conn.execute(select(table))}
    return rows


async def test_a_back_dated_declaration_is_refused_and_writes_nothing(
    switch: Switch, kind: Kind, declarer: Client
) -> None:
    yesterday = today(switch) - timedelta(days=1)
    response = await refused_without_writes(
        switch,
        declarer.post(kind.path, kind.body(yesterday)),
        422,
        "valid_from_in_past",
        kind.name,
    )
    assert today(switch).isoformat() in response.json()["error"]["message"]


@pytest.mark.parametrize("days_ahead", [0, 30])
async def test_a_declaration_for_today_or_later_is_a_plain_version(
    switch: Switch, kind: Kind, declarer: Client, days_ahead: int
) -> None:
    day = today(switch) + timedelta(days=days_ahead)
    response = await declarer.post(kind.path, kind.body(day))
    assert response.status_code == kind.status, response.text
    assert kind.corrections_in(await history_of(switch, declarer, kind)) == []


async def test_a_correction_that_is_not_back_dated_is_refused(
    switch: Switch, kind: Kind, declarer: Client
) -> None:
    body = kind.body(today(switch)) | {"correction": {"reason": "not needed"}}
    await refused_without_writes(
        switch, declarer.post(kind.path, body), 422, "invalid_correction", kind.name
    )


async def test_a_correction_needs_a_reason(switch: Switch, kind: Kind, declarer: Client) -> None:
    body = kind.body(date(2015, 1, 1)) | {"correction": {"reason": "  "}}
    await refused_without_writes(
        switch, declarer.post(kind.path, body), 422, "invalid_correction", kind.name
    )


async def test_a_correction_is_on_record_and_alters_nothing_recorded_before(
    switch: Switch, kind: Kind, declarer: Client
) -> None:
    first = await declarer.post(kind.path, kind.body(today(switch)))
    assert first.status_code == kind.status, first.text
    before = await all_rows(switch)
    counts = await row_counts(switch.services)

    body = kind.body(date(2015, 1, 1)) | {"correction": {"reason": HISTORY_REASON}}
    response = await declarer.post(kind.path, body)

    assert response.status_code == kind.status, response.text
    after = await all_rows(switch)
    for table, rows in before.items():
        assert rows <= after[table], f"{table}: a recorded row changed or went"
    grown = {t for t, n in (await row_counts(switch.services)).items() if n != counts[t]}
    assert {kind.table, "policy_corrections"} <= grown
    (correction,) = kind.corrections_in(await history_of(switch, declarer, kind))
    assert correction["reason"] == HISTORY_REASON
    assert correction["valid_from"] == "2015-01-01"
    assert correction["declared_by"] == declarer.subscriber_id
    assert correction["declared_at"].startswith(today(switch).isoformat())
