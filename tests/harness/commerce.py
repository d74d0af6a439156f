"""What the storefront and offer tests send: offers, storefront requests, events read back."""

from __future__ import annotations

from typing import Any

import httpx

from hutong.client import Client, encode_json
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from tests.harness.switch import Clock, Switch


def offer(sku_id: str, **changes: Any) -> dict[str, Any]:
    """A valid offer item; keyword arguments replace (or, with None, drop) fields."""
    item: dict[str, Any] = {
        "sku_id": sku_id,
        "title": f"Serum {sku_id}",
        "price": 19900,
        "stock": 10,
        "category": "beauty",
        "h5_url": f"https://item.jd.example/{sku_id}.html",
    }
    item.update(changes)
    return {k: v for k, v in item.items() if v is not None}


async def publish(client: Client, *items: dict[str, Any]) -> httpx.Response:
    response = await client.post("/v1/offers", {"offers": list(items)})
    assert response.status_code == 200, response.text
    return response


async def events(switch: Switch, recipient: str, action: str) -> list[dict[str, Any]]:
    """The messages of `action` events waiting for `recipient`, oldest first."""
    response = await switch.operator.get(f"/operator/events?participant={recipient}&limit=1000")
    assert response.status_code == 200, response.text
    return [e["message"] for e in response.json() if e["action"] == action]


async def set_home(
    switch: Switch, merchant: str, home: str, *, self_operated: bool = False
) -> None:
    response = await switch.operator.put(
        f"/operator/merchants/{merchant}/profile",
        json={"home_platform": home, "self_operated": self_operated},
    )
    assert response.status_code == 200, response.text


async def ask(
    client: Client, host: str, skus: dict[str, int], commission_bps: int = 500
) -> httpx.Response:
    """Request a storefront on `host` with `skus` (SKU id -> price in the host)."""
    catalog = [{"sku_id": sku, "price": price} for sku, price in skus.items()]
    return await client.post(
        "/v1/storefronts", {"host": host, "catalog": catalog, "commission_bps": commission_bps}
    )


async def post_at(
    client: Client, clock: Clock, path: str, message: dict[str, Any]
) -> httpx.Response:
    """POST signed at the switch's clock (which tests move), not at the real time."""
    body = encode_json(request_envelope(message, message_id=new_id("msg")))
    return await client.send("POST", path, body, created=clock.unix)
