"""The charts' data as the dashboard's script reads it (JSON in the page, drawn by ECharts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hutong.links.policy import LinkRule
from hutong.web.dashboard.flows import Availability, Flow
from hutong.web.dashboard.operations import CalleeHealth, ChannelVolume
from hutong.web.dashboard.timeline import IndexPoint

__all__ = [
    "availability_chart",
    "channels_chart",
    "flow_chart",
    "latency_chart",
    "openness_chart",
]


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


def flow_chart(flows: Iterable[Flow]) -> dict[str, Any]:
    """A Sankey diagram's nodes (each name once) and links (source, target, yuan)."""
    links = [{"source": f.source, "target": f.target, "value": f.fen / 100} for f in flows]
    names = dict.fromkeys(n for link in links for n in (link["source"], link["target"]))
    return {"nodes": [{"name": n} for n in names], "links": links}


def availability_chart(rows: Iterable[Availability]) -> dict[str, Any]:
    """Months on the x axis and one series per callee: its availability (%) each month."""
    found = list(rows)
    months = sorted({r.month for r in found})
    series: dict[str, dict[str, float]] = {}
    for r in found:
        series.setdefault(r.callee, {})[r.month] = round(100 * r.share, 2)
    return {
        "months": months,
        "series": [
            {"name": callee, "data": [by_month.get(m) for m in months]}
            for callee, by_month in sorted(series.items())
        ],
    }
