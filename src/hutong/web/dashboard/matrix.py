"""The interconnection matrix on one day: links, wallets, carriers, pickup networks, storefronts.

Read from the switch's own tables, as declared:

- links: every host's `link_rules` versions, decided per surface on the day
  (`hutong.web.dashboard.cells` turns the decisions into one cell);
- wallets at merchants' platforms: the `acceptance_policies` version in
  force (the latest whose valid_from is on or before the day);
- carriers at hosts and at pickup networks: `host_carrier_policies` and
  `pickup_policies`, the same way;
- storefronts: each merchant's latest request to a host made by the day's
  end, with its decision if it was decided by then.

Cost: policy tables hold one row per declared version (hundreds at most), read
whole in one ordered query each; storefronts are read through
`ix_storefronts_host`. Nothing here scans traffic tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.links.hosts import alias
from hutong.links.policy import LinkRule, PolicyHistory, Surface
from hutong.store.tables import (
    acceptance_policies,
    host_carrier_policies,
    link_rules,
    participants,
    pickup_policies,
    storefronts,
)
from hutong.web.dashboard.cells import LinkCell, link_cell

__all__ = [
    "Grid",
    "GridCell",
    "LinkMatrix",
    "link_histories",
    "link_matrix",
    "link_matrix_of",
    "party_grids",
]


@dataclass(frozen=True, slots=True)
class LinkMatrix:
    day: date
    hosts: tuple[str, ...]
    sources: tuple[str, ...]
    cells: dict[tuple[str, str], LinkCell]

    def cell(self, host: str, source: str) -> LinkCell:
        return self.cells[(host, source)]


@dataclass(frozen=True, slots=True)
class GridCell:
    #: accepted / refused / undeclared, allowed / refused, approved / refused / requested.
    status: str
    #: The policy version (or storefront id) behind the cell, "" when none.
    basis: str


@dataclass(frozen=True, slots=True)
class Grid:
    """One of the other matrices: `rows` (owners) × `columns` (counterparts)."""

    title: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: dict[tuple[str, str], GridCell]

    def cell(self, row: str, column: str) -> GridCell:
        return self.cells.get((row, column), GridCell("none", ""))


async def link_histories(conn: AsyncConnection) -> dict[str, PolicyHistory]:
    """Every host's link policy history, from one ordered read of `link_rules`."""
    rows = (
        await conn.execute(
            select(link_rules.c.host, link_rules.c.rule).order_by(
                link_rules.c.host, link_rules.c.version
            )
        )
    ).all()
    by_host: dict[str, list[LinkRule]] = {}
    for row in rows:
        by_host.setdefault(alias(row.host), []).append(LinkRule.from_dict(json.loads(row.rule)))
    return {host: PolicyHistory(host, rules) for host, rules in by_host.items()}


def link_matrix_of(histories: dict[str, PolicyHistory], day: date) -> LinkMatrix:
    """The link matrix on `day`: every host with a history × every source ever named."""
    hosts = tuple(sorted(histories))
    sources = tuple(sorted({s for h in histories.values() for s in h.sources()} | set(hosts)))
    cells = {
        (host, source): link_cell(
            host, source, (histories[host].decide(source, surface, day) for surface in Surface)
        )
        for host in hosts
        for source in sources
    }
    return LinkMatrix(day, hosts, sources, cells)


async def link_matrix(conn: AsyncConnection, day: date) -> LinkMatrix:
    return link_matrix_of(await link_histories(conn), day)


# -- the other matrices -------------------------------------------------------------------------


async def _in_force(conn: AsyncConnection, table: Table, owner: str, day: date) -> dict[str, Any]:
    """Per owner, the version in force on `day` (latest valid_from <= day): (version, rule)."""
    rows = (
        await conn.execute(
            select(table.c[owner], table.c.version, table.c.rule)
            .where(table.c.valid_from <= day)
            .order_by(table.c[owner], table.c.version)
        )
    ).all()
    return {row[0]: (row.version, json.loads(row.rule)) for row in rows}


async def _with_role(conn: AsyncConnection, role: str) -> set[str]:
    rows = await conn.execute(select(participants.c.subscriber_id, participants.c.roles))
    return {r.subscriber_id for r in rows if role in r.roles.split()}


def _named(rules: Iterable[dict[str, Any]], *keys: str) -> set[str]:
    named: set[str] = set()
    for rule in rules:
        for key in keys:
            value = rule.get(key)
            if isinstance(value, dict | list):
                named.update(value)
    return named


def _allows(rule: dict[str, Any], party: str, allow_key: str) -> bool:
    if party in (rule.get("refused") or ()):
        return False
    allowed = rule.get(allow_key)
    return allowed is None or party in allowed


def _policy_grid(
    title: str, policies: dict[str, Any], columns: set[str], allow_key: str, yes: str
) -> Grid:
    cells: dict[tuple[str, str], GridCell] = {}
    for owner, (version, rule) in policies.items():
        for column in columns:
            ok = _allows(rule, column, allow_key)
            cells[(owner, column)] = GridCell(yes if ok else "refused", f"v{version}")
    return Grid(title, tuple(sorted(policies)), tuple(sorted(columns)), cells)


async def _storefront_grid(conn: AsyncConnection, day: date) -> Grid:
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    rows = (
        await conn.execute(
            select(storefronts)
            .where(storefronts.c.requested_at < end)
            .order_by(storefronts.c.requested_at)
        )
    ).all()
    cells: dict[tuple[str, str], GridCell] = {}
    for row in rows:  # later requests replace earlier ones
        decided = row.decided_at is not None and row.decided_at < end
        status = row.status if decided else "requested"
        cells[(row.merchant, row.host)] = GridCell(status, row.id)
    merchants = tuple(sorted({m for m, _ in cells}))
    hosts = tuple(sorted({h for _, h in cells}))
    return Grid("Storefronts: merchants × hosts", merchants, hosts, cells)


async def party_grids(conn: AsyncConnection, day: date) -> tuple[Grid, ...]:
    """Wallets at merchants' platforms, carriers at hosts and pickup networks, storefronts."""
    acceptance = await _in_force(conn, acceptance_policies, "platform", day)
    wallets = await _with_role(conn, "wallet") | _named(
        (r for _, r in acceptance.values()), "accepts", "refused"
    )
    carriers_at_hosts = await _in_force(conn, host_carrier_policies, "host", day)
    pickup = await _in_force(conn, pickup_policies, "network", day)
    carriers = await _with_role(conn, "carrier") | _named(
        (r for _, r in [*carriers_at_hosts.values(), *pickup.values()]), "allowed", "refused"
    )
    return (
        _policy_grid("Wallets at merchants' platforms", acceptance, wallets, "accepts", "accepted"),
        _policy_grid("Carriers at hosts", carriers_at_hosts, carriers, "allowed", "allowed"),
        _policy_grid("Carriers at pickup networks", pickup, carriers, "allowed", "allowed"),
        await _storefront_grid(conn, day),
    )
