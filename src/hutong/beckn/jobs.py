"""One Beckn action of a BAP, run through the domain service its `/v1` route calls.

`checked_call` checks what the route cannot: the whole context is there
(`CONTEXT_FIELDS`, UUID `message_id` and `transaction_id`), `bap_id` is the
signer, and `bap_uri` is the BAP's registered callback URL or a path under
it (`bap_uri_not_registered`: delivering to any URL a sender names would be
server-side request forgery). `prepare` does what asks participants (the
merchant's stock desk, the wallet) and returns the write that records the
effects and queues the answer, `{context: on_<action>, message | error}`,
for `{bap_uri}/on_<action>`, in one transaction. A refusal found while
preparing is an answer too: `on_<action>` with Beckn's Error, as Beckn does.

| action | Hutong service | answer |
|---|---|---|
| search | `commerce.discovery.service.search` (the offers the host may show) | catalog |
| select | the same offers' current prices | quote |
| init | `commerce.orders.intake.create` (stock reserved) | order, Created |
| confirm | `commerce.orders.service.pay` (the wallet captures) | order, Accepted, PAID |
| status | `commerce.orders.service.readable` | order |
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.beckn import mapping
from hutong.commerce.discovery import Search
from hutong.commerce.discovery.service import search
from hutong.commerce.orders import intake as order_intake
from hutong.commerce.orders import service as order_service
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.events.outbox import enqueue, ensure_lane
from hutong.net.transport import CallTransport
from hutong.protocol.beckn_context import make_context, parse_duration
from hutong.protocol.beckn_errors import beckn_error
from hutong.protocol.envelope import named_uri
from hutong.protocol.errors import ForbiddenError, HutongError, ValidationError
from hutong.registry.service import get_participant
from hutong.runtime.exactly_once import Refused, Write
from hutong.runtime.services import Services

__all__ = ["ACTIONS", "CONTEXT_FIELDS", "REFUSED_ACTIONS", "BecknCall", "checked_call", "prepare"]

#: The actions the gateway runs.
ACTIONS = ("search", "select", "init", "confirm", "status")
#: Beckn actions the gateway refuses (NACK `action_not_supported`), not built yet.
REFUSED_ACTIONS = ("track", "cancel", "update", "rating", "support")
#: The context fields a gateway request must carry (Beckn's Context with its ids).
CONTEXT_FIELDS = (
    "domain",
    "action",
    "version",
    "bap_id",
    "bap_uri",
    "transaction_id",
    "message_id",
    "timestamp",
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: The answer's ttl when the request has none (seconds).
DEFAULT_TTL = 30


@dataclass(frozen=True, slots=True)
class BecknCall:
    """A checked request: who asks, its context and message, and where the answer goes."""

    action: str
    bap: str
    context: dict[str, Any]
    message: dict[str, Any]

    @property
    def reply_url(self) -> str:
        return f"{self.context['bap_uri'].rstrip('/')}/on_{self.action}"


def _under(uri: str, registered: str) -> bool:
    base = registered.rstrip("/")
    return uri.rstrip("/") == base or uri.startswith(base + "/")


async def checked_call(services: Services, bap: str, action: str, document: Any) -> BecknCall:
    """The request as a `BecknCall`; refused `invalid_context`, `bap_uri_not_registered`."""
    context = document.get("context") if isinstance(document, dict) else None
    message = document.get("message") if isinstance(document, dict) else None
    if not isinstance(context, dict) or not isinstance(message, dict):
        raise ValidationError("send a Beckn request: {context, message}", code="invalid_request")
    missing = [f for f in CONTEXT_FIELDS if not isinstance(context.get(f), str) or not context[f]]
    if missing:
        raise ValidationError(f"context lacks {', '.join(missing)}", code="invalid_context")
    for field in ("message_id", "transaction_id"):
        if not _UUID.fullmatch(context[field]):
            raise ValidationError(f"context.{field} must be a UUID", code="invalid_context")
    if context["bap_id"] != bap:
        raise ForbiddenError(
            f"context.bap_id is {context['bap_id']!r} but the request is signed by {bap}",
            code="bap_id_mismatch",
        )
    async with services.db.read() as conn:
        participant = await get_participant(conn, bap)
    if participant is None or not _under(context["bap_uri"], participant.callback_url):
        raise ForbiddenError(
            "context.bap_uri must be your registered callback URL or a path under it",
            code="bap_uri_not_registered",
        )
    return BecknCall(action=action, bap=bap, context=context, message=message)


def _answer_context(services: Services, call: BecknCall) -> dict[str, Any]:
    settings = services.settings
    ttl = parse_duration(str(call.context.get("ttl", "")))
    context = make_context(
        action=f"on_{call.action}",
        message_id=call.context["message_id"],
        transaction_id=call.context["transaction_id"],
        bap_id=call.bap,
        bap_uri=call.context["bap_uri"],
        bpp_id=settings.switch_id,
        bpp_uri=settings.public_url or named_uri(settings.switch_id),
        now=services.clock(),
        ttl_seconds=int(ttl.total_seconds()) if ttl is not None else DEFAULT_TTL,
    )
    context["domain"] = call.context["domain"]
    if isinstance(call.context.get("location"), dict):
        context["location"] = call.context["location"]
    return context


def _queue(services: Services, call: BecknCall, answer: dict[str, Any]) -> Write[None]:
    """The write that queues `answer` (`message` or `error`) as `on_<action>`."""

    async def write(conn: AsyncConnection) -> None:
        now = services.clock()
        await ensure_lane(conn, call.bap, now)
        await enqueue(
            conn,
            recipient=call.bap,
            action=f"on_{call.action}",
            message={"context": _answer_context(services, call)} | answer,
            now=now,
            transaction_id=call.context["transaction_id"],
            reply_url=call.reply_url,
        )

    return write


def _error(error: HutongError) -> dict[str, Any]:
    return {"error": beckn_error(error.code, error.kind, error.message)}


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


def _dig(document: Any, *path: str | int) -> Any:
    for step in path:
        if isinstance(step, int):
            document = (
                document[step] if isinstance(document, list) and len(document) > step else None
            )
        else:
            document = document.get(step) if isinstance(document, dict) else None
    return document


async def _search(services: Services, call: BecknCall) -> dict[str, Any]:
    intent = call.message.get("intent") or {}
    provider = _dig(intent, "provider", "id")
    results = await _offers(
        services,
        call.bap,
        q=_dig(intent, "item", "descriptor", "name"),
        category=_dig(intent, "category", "id"),
    )
    if provider:
        results = [r for r in results if r["merchant"] == provider]
    return {"message": {"catalog": mapping.catalog(results, services.settings.switch_id)}}


async def _priced(
    services: Services, call: BecknCall
) -> tuple[str, str, list[tuple[str, int, int]]]:
    """(merchant, storefront id, lines at today's prices) of `message.order`'s items."""
    order = call.message.get("order") or {}
    merchant = _dig(order, "provider", "id")
    items = order.get("items") if isinstance(order, dict) else None
    if not isinstance(merchant, str) or not isinstance(items, list) or not items:
        raise ValidationError("message.order needs provider.id and items", code="invalid_order")
    offers = {
        r["sku_id"]: r for r in await _offers(services, call.bap) if r["merchant"] == merchant
    }
    lines: list[tuple[str, int, int]] = []
    storefront = ""
    for index, item in enumerate(items):
        sku, count = _dig(item, "id"), _dig(item, "quantity", "selected", "count")
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
    fulfillment = _dig(order, "fulfillments", 0) or {}
    carrier, _, service = str(fulfillment.get("id") or "").partition(":")
    stops = fulfillment.get("stops") or []
    end = next((s for s in stops if isinstance(s, dict) and s.get("type") == "end"), None)
    location = _dig(end, "location") or {}
    if location.get("id"):
        return carrier, service, {"pickup_point_id": location["id"]}
    address = {"name": "-", "street": str(location.get("address") or "-")}
    return carrier, service, {"area_code": location.get("area_code", ""), "address": address}


def _order_answer(outcome: OrderOutcome) -> dict[str, Any]:
    payment = outcome.payment.to_dict() if outcome.payment is not None else None
    return {"message": {"order": mapping.order_out(outcome.order.to_dict(), payment)}}


async def _init(services: Services, http: CallTransport, call: BecknCall) -> Write[Any]:
    merchant, storefront, lines = await _priced(services, call)
    order = call.message["order"]
    carrier, service, destination = _destination(order)
    tags = _dig(order, "payments", 0, "tags")
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
    return await order_intake.create(services, http, call.bap, call.context["message_id"], spec)


async def _confirm(services: Services, http: CallTransport, call: BecknCall) -> Write[Any]:
    order_id = _dig(call.message, "order", "id")
    if not isinstance(order_id, str) or not order_id:
        raise ValidationError("message.order.id", code="invalid_order")
    return await order_service.pay(services, http, call.bap, order_id, call.context["message_id"])


async def _status(services: Services, call: BecknCall) -> dict[str, Any]:
    order_id = call.message.get("order_id") or _dig(call.message, "order", "id")
    if not isinstance(order_id, str) or not order_id:
        raise ValidationError("message.order_id", code="invalid_order")
    view = await order_service.readable(services, call.bap, order_id)
    return {"message": {"order": mapping.order_out(view.to_dict())}}


async def _decided(
    services: Services, call: BecknCall, step: Callable[[], Awaitable[Write[Any]]]
) -> Write[None]:
    """An order step's write, followed by its answer (a refusal kept by the step: an error)."""
    inner = await step()

    async def write(conn: AsyncConnection) -> None:
        result = await inner(conn)
        answer = _error(result.error) if isinstance(result, Refused) else _order_answer(result)
        await _queue(services, call, answer)(conn)

    return write


async def prepare(services: Services, http: CallTransport, call: BecknCall) -> Write[None]:
    """Run `call` up to its write; the write records the effects and queues `on_<action>`.

    A refusal while preparing (not a transient one: a participant that did
    not answer is raised, so the request can be sent again) is answered as
    `on_<action>` with Beckn's Error.
    """
    try:
        if call.action == "search":
            return _queue(services, call, await _search(services, call))
        if call.action == "select":
            return _queue(services, call, await _select(services, call))
        if call.action == "status":
            return _queue(services, call, await _status(services, call))
        if call.action == "init":
            return await _decided(services, call, lambda: _init(services, http, call))
        if call.action == "confirm":
            return await _decided(services, call, lambda: _confirm(services, http, call))
    except HutongError as error:
        if error.kind.transient:
            raise
        return _queue(services, call, _error(error))
    raise ValidationError(f"no Beckn action {call.action!r}", code="unknown_action")
