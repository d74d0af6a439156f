"""`hutong order ...`: cross-platform orders, for the operator and for trying them by hand.

The commands act for a participant (`--as`), against the configured
database, through the same services and checks as the API: a command that
asks the merchant's platform, the wallet or the carrier calls it over signed
HTTP, exactly as the switch would.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table

from hutong.cli._common import console, errors, show_json, with_services
from hutong.cli.payments import As
from hutong.commerce import commission_store
from hutong.commerce.orders import intake as order_intake
from hutong.commerce.orders import refunds as order_refunds
from hutong.commerce.orders import service as order_service
from hutong.commerce.orders import shipping as order_shipping
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.ledger.models import yuan
from hutong.net.transport import call_transport
from hutong.protocol.ids import new_id
from hutong.runtime.exactly_once import Refused, Write
from hutong.runtime.services import Services

app = typer.Typer(
    help="Orders: create, pay, ship, confirm, cancel, refund; commission schedules.",
    no_args_is_help=True,
)


def _refused(refusal: Refused) -> NoReturn:
    error = refusal.error
    errors.print(f"[red]{error.code}:[/] {error.message}")
    order = refusal.extra.get("order")
    if order:
        errors.print(f"order {order['id']} is {order['state']}")
    raise typer.Exit(1)


async def _run(services: Services, operation: Write[OrderOutcome | Refused]) -> dict[str, Any]:
    """Run an order step's write in one transaction; show its outcome (or why refused)."""
    async with services.db.transaction() as conn:
        result = await operation(conn)
    if isinstance(result, Refused):
        _refused(result)
    return result.to_dict()


def _amounts(given: list[str], what: str) -> dict[str, int]:
    """["sku=fen", ...] as {sku: fen}."""
    parsed: dict[str, int] = {}
    for item in given:
        sku, _, value = item.partition("=")
        if not sku or not value.isdigit():
            raise typer.BadParameter(f"{what} are SKU=NUMBER, not {item!r}")
        parsed[sku] = int(value)
    return parsed


def _line(text: str) -> dict[str, Any]:
    parts = text.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise typer.BadParameter(f"a line is SKU:QUANTITY:UNIT_PRICE_FEN, not {text!r}")
    return {"sku_id": parts[0], "quantity": int(parts[1]), "unit_price": int(parts[2])}


@app.command()
def create(
    sender: As,
    merchant: Annotated[str, typer.Option(help="The merchant sold from.")],
    line: Annotated[list[str], typer.Option(help="SKU:QUANTITY:UNIT_PRICE_FEN (repeatable).")],
    buyer: Annotated[str, typer.Option(help="Your pseudonymous id of the buyer.")],
    wallet: Annotated[str, typer.Option(help="The wallet the buyer pays with.")],
    payer: Annotated[str, typer.Option(help="The buyer's account at the wallet.")],
    carrier: Annotated[str, typer.Option(help="The carrier the buyer chose.")],
    pickup_point: Annotated[str, typer.Option(help="Deliver to this pickup point.")] = "",
    area_code: Annotated[str, typer.Option(help="Or to this six-digit area code.")] = "",
    storefront: Annotated[str, typer.Option(help="The storefront it came from.")] = "",
    placement: Annotated[str, typer.Option(help="Or the placement it came from.")] = "",
    pay_within: Annotated[int, typer.Option(help="Seconds to pay.")] = (
        order_intake.DEFAULT_PAY_WITHIN
    ),
) -> None:
    """Order for your buyer (as the host): prices checked and stock reserved."""
    destination: dict[str, Any] = (
        {"pickup_point_id": pickup_point} if pickup_point else {"area_code": area_code}
    )
    spec = order_intake.NewOrder(
        buyer=buyer,
        merchant=merchant,
        lines=[_line(text) for text in line],
        wallet=wallet,
        payer=payer,
        carrier=carrier,
        destination=destination,
        storefront_id=storefront,
        placement_id=placement,
        pay_within=pay_within,
    )

    async def work(services: Services) -> dict[str, Any]:
        await services.load_switch_key()
        operation = await order_intake.create(
            services, call_transport(), sender, new_id("cli"), spec
        )
        return await _run(services, operation)

    show_json(with_services(work))


@app.command()
def pay(order_id: str, sender: As) -> None:
    """Pay (as the host): the wallet holds and captures the total."""

    async def work(services: Services) -> dict[str, Any]:
        await services.load_switch_key()
        operation = await order_service.pay(
            services, call_transport(), sender, order_id, new_id("cli")
        )
        return await _run(services, operation)

    show_json(with_services(work))


@app.command()
def ship(
    order_id: str,
    sender: As,
    origin: Annotated[str, typer.Option(help="Six-digit area code the parcel leaves from.")],
    weight_g: Annotated[int, typer.Option(help="Weight in grams.")],
) -> None:
    """Book the order's carrier (as the merchant)."""

    async def work(services: Services) -> dict[str, Any]:
        await services.load_switch_key()
        operation = await order_shipping.ship(
            services, call_transport(), sender, order_id, origin=origin, weight_g=weight_g
        )
        return await _run(services, operation)

    show_json(with_services(work))


@app.command()
def confirm(order_id: str, sender: As) -> None:
    """Confirm receipt (as the host): the order completes and the money is split."""

    async def work(services: Services) -> dict[str, Any]:
        return await _run(services, await order_service.confirm(services, sender, order_id))

    show_json(with_services(work))


@app.command()
def cancel(
    order_id: str,
    sender: As,
    reason: Annotated[str, typer.Option(help="Why, as a short code.")] = "",
) -> None:
    """Cancel before shipping: stock back, the payment voided or refunded."""

    async def work(services: Services) -> dict[str, Any]:
        await services.load_switch_key()
        operation = await order_service.cancel(services, call_transport(), sender, order_id, reason)
        return await _run(services, operation)

    show_json(with_services(work))


@app.command("refund-request")
def refund_request(
    order_id: str,
    sender: As,
    amount: Annotated[list[str], typer.Option(help="SKU=FEN (repeatable).")],
) -> None:
    """Ask for a refund (as the host, for the buyer)."""
    amounts = _amounts(amount, "amounts")

    async def work(services: Services) -> dict[str, Any]:
        operation = await order_refunds.request(services, sender, order_id, amounts, None)
        return await _run(services, operation)

    show_json(with_services(work))


@app.command()
def refund(
    order_id: str,
    sender: As,
    refund_id: Annotated[str, typer.Option(help="Your id of this refund.")] = "",
) -> None:
    """Refund what the buyer asked (as the merchant)."""

    async def work(services: Services) -> dict[str, Any]:
        await services.load_switch_key()
        operation = await order_refunds.refund(
            services, call_transport(), sender, order_id, refund_id or new_id("rf"), None, None
        )
        return await _run(services, operation)

    show_json(with_services(work))


@app.command()
def show(order_id: str) -> None:
    """One order, as the switch keeps it."""

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            return (await order_store.require_order(conn, order_id)).to_dict()

    show_json(with_services(work))


@app.command("list")
def list_orders(
    party: Annotated[str, typer.Option(help="Only orders involving this participant.")] = "",
    state: Annotated[str, typer.Option(help="Only orders in this state.")] = "",
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """Orders, newest first."""

    async def work(services: Services) -> list[order_store.OrderRow]:
        async with services.db.read() as conn:
            return await order_store.list_orders(
                conn, party or None, state=state or None, limit=limit
            )

    table = Table("order", "state", "host", "merchant", "channel", "total", "refunded")
    for row in with_services(work):
        table.add_row(
            row.id,
            row.state.value,
            row.host,
            row.merchant,
            row.channel.value,
            yuan(row.order.total),
            yuan(row.order.refunded_total),
        )
    console.print(table)


@app.command()
def schedules(host: str) -> None:
    """A host's commission schedule, every version."""

    async def work(services: Services) -> list[dict[str, Any]]:
        async with services.db.read() as conn:
            history = await commission_store.commission_history(conn, host)
        return [schedule.to_dict() for schedule in history.versions]

    show_json({"host": host, "versions": with_services(work)})
