"""The charts' data as the dashboard's script reads it (JSON in the page, drawn by ECharts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hutong.links.policy import LinkRule
from hutong.web.dashboard.operations import CalleeHealth, ChannelVolume
from hutong.web.dashboard.timeline import IndexPoint

__all__ = ["channels_chart", "latency_chart", "openness_chart"]


def openness_chart(series: Iterable[IndexPoint], facts: Iterable[LinkRule] = ()) -> dict[str, Any]:
    """Points [day, index] and the dated facts [day, index that day, label] to mark on them."""
    points = [[p.day.isoformat(), None if p.index is None else round(p.index, 4)] for p in series]
    at = dict((day, index) for day, index in points)
    marks = [
        [
            r.valid_from.isoformat(),
            at.get(r.valid_from.isoformat()),
            f"{r.host}: {r.source} {r.treatment}",
        ]
        for r in facts
    ]
    return {"points": points, "facts": marks}


def channels_chart(channels: Iterable[ChannelVolume]) -> list[list[Any]]:
    return [[c.channel, c.orders] for c in channels]


def latency_chart(callees: Iterable[CalleeHealth]) -> list[list[Any]]:
    return [[c.callee, c.p50_ms, c.p95_ms] for c in callees]
