"""Beckn 1.1 shapes to Hutong's and back: money, catalog, order, states. Pure functions.

- Money: Beckn prices are decimal strings in currency units (`"99.50"`),
  Hutong's integer fen: `price(fen)` writes `f"{fen // 100}.{fen % 100:02d}"`.
  No price is read from a BAP: the switch quotes today's.
- States: Hutong order state -> Beckn `order.state` (`BECKN_STATE`).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BECKN_STATE",
    "catalog",
    "order_out",
    "price",
    "quote",
    "tag_value",
]

#: Hutong order state -> Beckn `order.state` (docs/beckn-gateway.md).
BECKN_STATE = {
    "created": "Created",
    "reserved": "Created",
    "paid": "Accepted",
    "shipped": "In-progress",
    "delivered": "In-progress",
    "refund_requested": "In-progress",
    "completed": "Completed",
    "partially_refunded": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Cancelled",
}


def price(fen: int) -> dict[str, str]:
    """Beckn's Price of `fen`: `{"currency": "CNY", "value": "199.00"}`."""
    return {"currency": "CNY", "value": f"{fen // 100}.{fen % 100:02d}"}


def tag_value(tags: Any, group: str, code: str) -> str:
    """`value` of the tag `code` in the tag group `group` (Beckn TagGroup list), or ""."""
    for tag_group in tags if isinstance(tags, list) else []:
        if not isinstance(tag_group, dict):
            continue
        if (tag_group.get("descriptor") or {}).get("code") != group:
            continue
        for tag in tag_group.get("list") or []:
            if isinstance(tag, dict) and (tag.get("descriptor") or {}).get("code") == code:
                return str(tag.get("value", ""))
    return ""


def catalog(results: list[dict[str, Any]], switch_name: str) -> dict[str, Any]:
    """`on_search.message.catalog`: one provider per merchant, its offers as items."""
    providers: dict[str, dict[str, Any]] = {}
    for result in results:
        provider = providers.setdefault(
            result["merchant"],
            {"id": result["merchant"], "descriptor": {"name": result["merchant"]}, "items": []},
        )
        provider["items"].append(
            {
                "id": result["sku_id"],
                "descriptor": {"name": result["title"]},
                "price": price(result["price"]),
                "category_ids": [result["category"]],
            }
        )
    return {"descriptor": {"name": switch_name}, "providers": list(providers.values())}


def quote(lines: list[tuple[str, int, int]]) -> dict[str, Any]:
    """Beckn's Quotation of (sku_id, quantity, unit fen) lines: the total and one line each."""
    total = sum(quantity * unit for _, quantity, unit in lines)
    return {
        "price": price(total),
        "breakup": [
            {
                "item": {"id": sku, "quantity": {"selected": {"count": quantity}}},
                "title": sku,
                "price": price(quantity * unit),
            }
            for sku, quantity, unit in lines
        ],
    }


def order_out(order: dict[str, Any], payment: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Hutong order (its `to_dict`) as a Beckn Order."""
    lines = [(x["sku_id"], x["quantity"], x["unit_price"]) for x in order.get("lines", [])]
    out: dict[str, Any] = {
        "id": order["id"],
        "state": BECKN_STATE.get(str(order["state"]), "Created"),
        "provider": {"id": order["merchant"]},
        "items": [{"id": sku, "quantity": {"selected": {"count": q}}} for sku, q, _ in lines],
        "quote": quote(lines),
        "fulfillments": [{"id": order.get("carrier") or "", "type": "Delivery"}],
    }
    if payment is not None:
        out["payments"] = [
            {
                "id": payment["id"],
                "type": "PRE-ORDER",
                "status": "PAID" if payment.get("captured") else "NOT-PAID",
                "params": {"amount": price(int(payment["amount"]))["value"], "currency": "CNY"},
            }
        ]
    return out
