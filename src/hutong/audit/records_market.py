"""The records behind ranking, merchant-terms and decision-call findings (`records._query`).

* ``impressions``: the unsponsored items a host showed in the window;
* ``merchant_terms``: every terms version of the platform's named merchants;
* ``decision_calls``: the calls a callee answered on behalf of the named hosts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from hutong.store.tables import decision_calls, impression_items, impression_lists, merchant_terms

__all__ = ["MARKET_KINDS", "market_query"]

MARKET_KINDS = ("impressions", "merchant_terms", "decision_calls")


def _tuple(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def _str(value: str | tuple[str, ...]) -> str:
    return value if isinstance(value, str) else ",".join(value)


def market_query(
    kind: str, f: Mapping[str, str | tuple[str, ...]], start: datetime, end: datetime
) -> tuple[Select[Any], ColumnElement[Any], str]:
    """(the rows, the column to order by, the id prefix) of one evidence kind above."""
    if kind == "impressions":
        i, lists = impression_items.c, impression_lists.c
        query = (
            select(lists.id, lists.host, lists.surface, lists.query, lists.shown_at)
            .add_columns(i.position, i.merchant, i.sku_id, i.home_platform, i.rating, i.reviews)
            .select_from(impression_items.join(impression_lists, lists.id == i.list_id))
            .where(lists.host == _str(f["host"]), ~i.sponsored, ~i.labelled_ad)
            .where(lists.shown_at >= start, lists.shown_at < end)
        )
        return query, lists.id, "imp"
    if kind == "merchant_terms":
        t = merchant_terms.c
        query = select(
            t.platform,
            t.merchant,
            t.version,
            t.commission_bps,
            t.promotion_eligible,
            t.listed,
            t.valid_from,
            t.reason,
            t.justification,
        ).where(t.platform == _str(f["platform"]), t.merchant.in_(_tuple(f["merchants"])))
        return query, t.merchant, "terms"
    if kind == "decision_calls":
        c = decision_calls.c
        query = (
            select(c.id, c.callee, c.on_behalf_of, c.action, c.latency_ms, c.outcome, c.code)
            .add_columns(c.justification, c.called_at)
            .where(c.callee == _str(f["callee"]), c.on_behalf_of.in_(_tuple(f["hosts"])))
            .where(c.called_at >= start, c.called_at < end)
        )
        if "code" in f:
            query = query.where(c.outcome == "refused", c.code == _str(f["code"]))
        return query, c.id, "call"
    raise ValueError(f"unknown evidence kind {kind!r}")
