"""One Beckn action of a BAP, run through the domain service its `/v1` route calls.

`precheck` refuses, before the ACK, what no work can answer (a message
without the order it is about, an update target or an action Hutong does not
take, a search intent whose fields are not of Beckn's types: `invalid_intent`).
`prepare` does what asks participants (the merchant's stock desk, the wallet,
the carrier) and returns the write that records the effects and queues the
answer, `{context: on_<action>, message | error}`, in one transaction. A
refusal found while preparing is an answer too: `on_<action>` with Beckn's
Error, as Beckn does. A participant that did not answer (a transient refusal)
is raised, so the job is tried again.

| action | Hutong service | answer |
|---|---|---|
| search | `commerce.discovery.service.search` (the offers the host may show) | catalog |
| select | the same offers' current prices | quote |
| init | `commerce.orders.intake.create` (stock reserved) | order, Created |
| confirm | `commerce.orders.service.pay` (the wallet captures) | order, Accepted, PAID |
| status | `commerce.orders.service.readable` | order |
| track, cancel, update, support | `hutong.beckn.aftersale` | tracking, order, order, support |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.beckn import aftersale, mapping
from hutong.beckn.calls import BecknCall, dig, error_answer, queue_answer
from hutong.commerce.discovery import Search
from hutong.commerce.discovery.service import search
from hutong.commerce.orders import intake as order_intake
from hutong.commerce.orders import service as order_service
from hutong.net.transport import CallTransport
from hutong.protocol.errors import HutongError, NotFoundError, ValidationError
from hutong.runtime.exactly_once import Refused, Write
from hutong.runtime.services import Services

__all__ = ["ACTIONS", "REFUSED_ACTIONS", "precheck", "prepare"]

#: The actions the gateway runs.
ACTIONS = ("search", "select", "init", "confirm", "status", "track", "cancel", "update", "support")
#: Beckn actions the gateway refuses (NACK `action_not_supported`), and why.
REFUSED_ACTIONS = {
    "rating": "the switch keeps no ratings: a rating belongs to the platform that shows it",
}


#: The intent fields a search reads (Beckn's `Intent`: each a string where present).
INTENT_FIELDS = (("item", "descriptor", "name"), ("category", "id"), ("provider", "id"))


def intent_of(call: BecknCall) -> dict[str, Any]:
    """A search's `message.intent`, each field it reads a string or absent (`invalid_intent`)."""
    intent = call.message.get("intent")
    if intent is None:
        return {}
    if not isinstance(intent, dict):
        raise ValidationError("message.intent must be an object", code="invalid_intent")
    for path in INTENT_FIELDS:
        value = dig(intent, *path)
        if value is not None and not isinstance(value, str):
            raise ValidationError(
                f"message.intent.{'.'.join(path)} must be a string", code="invalid_intent"
            )
    return intent


def precheck(call: BecknCall) -> None:
    """Refuse now (a NACK, nothing written) what no work could answer."""
    if call.action == "search":
        intent_of(call)
    elif call.action in ("status", "track", "cancel"):
        aftersale.order_id_of(call)
    elif call.action == "update":
        aftersale.update_of(call)


async def _offers(services: Services, bap: str, **asked: Any) -> list[dict[str, Any]]:
    """Every offer `bap` may show (the discovery rule) matching `asked`, page by page."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    async with services.db.read() as conn:
        while True:
            wanted = Search.checked(
                q=asked.get("q"),
                category=asked.get("category"),
                min_price=None,
                max_price=None,
                surface=None,
                limit=100,
                cursor=cursor,
            )
            page = await search(conn, bap, wanted, services.clock().date())
            found += [result.to_dict() for result in page.results]
            if not page.next_cursor:
                return found
            cursor = page.next_cursor


async def _search(services: Services, call: BecknCall) -> dict[str, Any]:
    intent = intent_of(call)
    provider = dig(intent, "provider", "id")
    results = await _offers(
        services,
        call.bap,
        q=dig(intent, "item", "descriptor", "name"),
        category=dig(intent, "category", "id"),
    )
    if provider:
        results = [r for r in results if r["merchant"] == provider]
    return {"message": {"catalog": mapping.catalog(results, services.settings.switch_id)}}


async def _priced(
    services: Services, call: BecknCall
) -> tuple[str, str, list[tuple[str, int, int]]]:
    """(merchant, storefront id, lines at today's prices) of `message.order`'s items."""
    order = call.message.get("order") or {}
    merchant = dig(order, "provider", "id")
    items = order.get("items") if isinstance(order, dict) else None
    if not isinstance(merchant, str) or not isinstance(items, list) or not items:
        raise ValidationError("message.order needs provider.id and items", code="invalid_order")
    offers = {
        r["sku_id"]: r for r in await _offers(services, call.bap) if r["merchant"] == merchant
    }
    lines: list[tuple[str, int, int]] = []
    storefront = ""
    for index, item in enumerate(items):
        sku, count = dig(item, "id"), dig(item, "quantity", "selected", "count")
        if sku not in offers or not isinstance(count, int) or count < 1:
            raise ValidationError(
                f"message.order.items[{index}]: {merchant} offers you no item {sku!r}"
                " (or its quantity.selected.count is not a positive integer)",
                code="unknown_item",
            )
        lines.append((sku, count, int(offers[sku]["price"])))
        storefront = storefront or offers[sku]["storefront_id"] or ""
    return merchant, storefront, lines


async def _select(services: Services, call: BecknCall) -> dict[str, Any]:
    merchant, _, lines = await _priced(services, call)
    order = {"provider": {"id": merchant}, "quote": mapping.quote(lines)}
    return {"message": {"order": order | {"items": call.message["order"]["items"]}}}


def _destination(order: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(carrier, service, destination) of the order's first fulfillment's end stop."""
    fulfillment = dig(order, "fulfillments", 0) or {}
    carrier, _, service = str(fulfillment.get("id") or "").partition(":")
    stops = fulfillment.get("stops") or []
    end = next((s for s in stops if isinstance(s, dict) and s.get("type") == "end"), None)
    location = dig(end, "location") or {}
    if location.get("id"):
        return carrier, service, {"pickup_point_id": location["id"]}
    address = {"name": "-", "street": str(location.get("address") or "-")}
    return carrier, service, {"area_code": location.get("area_code", ""), "address": address}


async def _init(services: Services, http: CallTransport, call: BecknCall) -> Write[Any]:
    merchant, storefront, lines = await _priced(services, call)
    order = call.message["order"]
    carrier, service, destination = _destination(order)
    tags = dig(order, "payments", 0, "tags")
    spec = order_intake.NewOrder(
        buyer=call.bap[:16] + "-" + call.context["transaction_id"][:8],
        merchant=merchant,
        lines=[{"sku_id": s, "quantity": q, "unit_price": u} for s, q, u in lines],
        wallet=mapping.tag_value(tags, "hutong", "wallet"),
        payer=mapping.tag_value(tags, "hutong", "payer"),
        carrier=carrier,
        carrier_service=service,
        destination=destination,
        storefront_id=storefront,
    )
    return await order_intake.create(services, http, call.bap, call.message_id, spec)


async def _confirm(services: Services, http: CallTransport, call: BecknCall) -> Write[Any]:
    order_id = dig(call.message, "order", "id")
    if not isinstance(order_id, str) or not order_id:
        raise ValidationError("message.order.id", code="invalid_order")
    return await order_service.pay(services, http, call.bap, order_id, call.message_id)


async def _status(services: Services, call: BecknCall) -> dict[str, Any]:
    view = await order_service.readable(services, call.bap, aftersale.order_id_of(call))
    return {"message": {"order": mapping.order_out(view.to_dict())}}


async def _decided(
    services: Services, call: BecknCall, step: Callable[[], Awaitable[Write[Any]]]
) -> Write[None]:
    """An order step's write, followed by its answer (a refusal kept by the step: an error)."""
    inner = await step()

    async def write(conn: AsyncConnection) -> None:
        result = await inner(conn)
        answer = (
            error_answer(result.error)
            if isinstance(result, Refused)
            else aftersale.order_answer(result)
        )
        await queue_answer(services, call, answer)(conn)

    return write


async def _answer_of(services: Services, http: CallTransport, call: BecknCall) -> Write[None]:
    if call.action == "search":
        return queue_answer(services, call, await _search(services, call))
    if call.action == "select":
        return queue_answer(services, call, await _select(services, call))
    if call.action == "status":
        return queue_answer(services, call, await _status(services, call))
    if call.action == "track":
        return queue_answer(services, call, await aftersale.track(services, call))
    if call.action == "support":
        return queue_answer(services, call, await aftersale.support(services, call))
    if call.action == "init":
        return await _decided(services, call, lambda: _init(services, http, call))
    if call.action == "confirm":
        return await _decided(services, call, lambda: _confirm(services, http, call))
    if call.action == "cancel":
        return await _decided(services, call, lambda: aftersale.cancel(services, http, call))
    if call.action == "update":
        return await _decided(services, call, lambda: aftersale.update(services, call))
    # The path named the action (`/beckn/{action}`, 404 `unknown_action` there): the same
    # kind here, should a job ever carry one the route let through.
    raise NotFoundError(f"no Beckn action {call.action!r}", code="unknown_action")


async def prepare(services: Services, http: CallTransport, call: BecknCall) -> Write[None]:
    """Run `call` up to its write; the write records the effects and queues `on_<action>`.

    A refusal while preparing (not a transient one: a participant that did
    not answer is raised, so the job runs again) is answered as
    `on_<action>` with Beckn's Error.
    """
    try:
        return await _answer_of(services, http, call)
    except HutongError as error:
        if error.kind.transient:
            raise
        return queue_answer(services, call, error_answer(error))
