"""`fee_discrimination` on a declared schedule alone: a dearer rate for other platforms' merchants.

Orders on a host's ``storefront`` (a merchant of another platform selling
inside the host) and ``link_placement`` (an external link to a merchant's own
platform) channels are other platforms' merchants' orders by construction,
and its own store's declared rate is what its own merchants pay. Merchants
of the host's sibling platforms (its group) may pay the dearer rate too;
that spares no rival (Douyin's 20% on every external link against 5% in its
own store is the case in point), so the rivals are named. For every
schedule version in force on some day of the window (the latest version by
first day on the window's first day, and each one starting inside it)::

    ratio = declared_bps(category, channel) / declared_bps(category, own_store)

flags, declared (no orders needed), when ``ratio > threshold`` (Douyin's 20%
on external links against 5% in its own store is a ratio of 4.0), per
category the schedule names and for its general rates (category ``*``). A
channel on which the window has enough orders of other groups' merchants to
judge (`min_n`) is judged on those orders instead (`fees.fee_discrimination`):
what was taken outweighs what was declared.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from hutong.audit.checks.cells import Cell
from hutong.audit.evidence import Evidence, PolicyVersion
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties
from hutong.audit.rules import CheckSpec
from hutong.registry.groups import groups_in_force

__all__ = ["FOREIGN_CHANNELS", "declared_fees", "declared_take_bps"]

CHECK = "fee_discrimination"
OWN_STORE = "own_store"
#: Channels only other platforms' merchants sell through (`commerce.commissions.Channel`).
FOREIGN_CHANNELS = ("storefront", "link_placement")
#: The general rates of a schedule (no category named).
ANY = "*"


def declared_take_bps(rule: dict[str, Any], category: str, channel: str) -> int:
    """The take rate a schedule's JSON declares for `category` and `channel` (as the switch)."""
    for item in rule.get("take_rates", []):
        if item.get("category") == category and item.get("channel") == channel:
            return int(item["bps"])
    by_channel = rule.get("channel_rates", {})
    if channel in by_channel:
        return int(by_channel[channel])
    return int(rule.get("default_take_bps", 0))


def deciding_versions(versions: Sequence[PolicyVersion], start: date, end: date) -> list[Any]:
    """The versions in force on some day of [start, end): the one on `start`, and later ones."""
    ordered = sorted(versions, key=lambda v: (v.valid_from, v.version))
    on_start = [v for v in ordered if v.valid_from <= start][-1:]
    return on_start + [v for v in ordered if start < v.valid_from < end]


def declared_fees(
    evidence: Evidence, parties: Parties, spec: CheckSpec, observed: Collection[tuple[str, str]]
) -> list[Cell]:
    """Declared cells; `observed`: (host, channel) judged on their other groups' orders."""
    start, end = evidence.window.start, evidence.window.end
    others = sorted(groups_in_force(parties.versions, parties.day))
    hosts = sorted({s.owner for s in evidence.schedules})
    cells: list[Cell] = []
    for host in hosts:
        own = parties.group(host)
        against = tuple(name for name in others if name != own) or ("other platforms",)
        mine = [s for s in evidence.schedules if s.owner == host]
        for version in deciding_versions(mine, start, end):
            try:
                rule = json.loads(version.rule)
                categories = [ANY, *sorted({r["category"] for r in rule.get("take_rates", ())})]
            except (ValueError, TypeError, KeyError, AttributeError):
                continue
            since = max(version.valid_from, start)
            for channel in FOREIGN_CHANNELS:
                if (host, channel) in observed:
                    continue
                for category in categories:
                    cell = _cell(host, version, rule, category, channel, since, against, spec)
                    if cell is not None:
                        cells.append(cell)
    return cells


def _cell(
    host: str,
    version: PolicyVersion,
    rule: dict[str, Any],
    category: str,
    channel: str,
    since: date,
    against: tuple[str, ...],
    spec: CheckSpec,
) -> Cell | None:
    try:
        bps = declared_take_bps(rule, category, channel)
        own_bps = declared_take_bps(rule, category, OWN_STORE)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if category != ANY and (bps, own_bps) == (
        declared_take_bps(rule, ANY, channel),
        declared_take_bps(rule, ANY, OWN_STORE),
    ):
        return None  # the general rates, already judged
    if own_bps <= 0 or bps <= spec.threshold * own_bps:
        return None
    where = "its general rates" if category == ANY else f"{category}"
    return Cell(
        check=CHECK,
        subject=host,
        against=against,
        surface=f"{category}/{channel}/declared",
        metric=Metric(
            "declared_take_rate", round(bps / 10_000, 6), round(own_bps / 10_000, 6), spec.threshold
        ),
        n=0,
        p_value=None,
        since=since,
        evidence_count=1,
        evidence=EvidenceRef(
            "commission_schedules", {"host": host, "version": str(version.version)}
        ),
        what=(
            f"fee discrimination: {host}'s schedule v{version.version} ({where}) declares "
            f"{bps / 100:g}% on {channel} orders, which other platforms' merchants place "
            f"there, against {own_bps / 100:g}% in its own store (ratio {bps / own_bps:.2f}), "
            f"from {since}"
        ),
        exceeds=True,
        declared=True,
    )
