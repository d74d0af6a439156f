"""`hutong order ...`: cross-platform orders at the terminal.

A participant acts with its key (`--key-file` or `HUTONG_KEY_FILE`): each
step is a signed request to the switch at `--switch-url`, as its platform
would send it. The operator may instead write the database directly as a
participant (`--as`), through the same services, checks and exactly-once
record as the API (`hutong.cli.once`); a step that asks the merchant's
platform, the wallet or the carrier then calls it over signed HTTP, exactly
as the switch would.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.api.routes.orders_presenters import order_moved_out, order_taken_out
from hutong.cli._common import (
    USAGE,
    AsJson,
    answer,
    console,
    refuse,
    show_json,
    with_services,
)
from hutong.cli.once import Direct, Step, decided, recorded
from hutong.cli.remote import DEFAULT_SWITCH_URL as SWITCH
from hutong.cli.remote import (
    As,
    JsonAnswer,
    KeyFile,
    MessageId,
    SwitchUrl,
    act,
    derived_id,
    path_of,
    read,
    read_or_direct,
)
from hutong.commerce import commission_store
from hutong.commerce.orders import intake as order_intake
from hutong.commerce.orders import refunds as order_refunds
from hutong.commerce.orders import service as order_service
from hutong.commerce.orders import shipping as order_shipping
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.completion import opening_split_accounts
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.ledger.models import yuan
from hutong.net.transport import call_transport
from hutong.runtime.exactly_once import Refused
from hutong.runtime.services import Services

app = typer.Typer(
    help="Orders: create, pay, ship, confirm, cancel, refund, refund-close; commission schedules.",
    no_args_is_help=True,
)


def _moved(sender: str | None, step: Step[OrderOutcome | Refused]) -> Direct:
    """`--as SENDER` for a step of an order that may ask someone: as its route runs it."""
    return decided(step, order_moved_out(sender or ""))


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
    pay_within: Annotated[int, typer.Option(help="Seconds to pay.", min=1)] = (
        order_intake.DEFAULT_PAY_WITHIN
    ),
    key_file: KeyFile = None,
    switch_url: SwitchUrl = SWITCH,
    sender: As = None,
    message_id: MessageId = None,
    as_json: JsonAnswer = False,
) -> None:
    """Order for your buyer (as the host): prices checked and stock reserved."""
    destination: dict[str, Any] = (
        {"pickup_point_id": pickup_point} if pickup_point else {"area_code": area_code}
    )
    message: dict[str, Any] = {
        "buyer": buyer,
        "merchant": merchant,
        "lines": [_line(text) for text in line],
        "wallet": wallet,
        "payer": payer,
        "carrier": carrier,
        "destination": destination,
        "storefront_id": storefront,
        "placement_id": placement,
        "pay_within": pay_within,
    }
    spec = order_intake.NewOrder(**message)
    act(
        sender,
        key_file,
        switch_url,
        ("/v1/orders", message),
        decided(
            lambda services, sent: order_intake.create(
                services, call_transport(), sent.sender, sent.message_id, spec
            ),
            order_taken_out(sender or ""),
        ),
        message_id=message_id,
    )


def _path(order_id: str, step: str) -> str:
    return path_of("/v1/orders/{}/" + step, order_id)


@app.command()
def pay(
    order_id: str,
    key_file: KeyFile = None,
    switch_url: SwitchUrl = SWITCH,
    sender: As = None,
    message_id: MessageId = None,
    as_json: JsonAnswer = False,
) -> None:
    """Pay (as the host): the wallet holds and captures the total."""
    act(
        sender,
        key_file,
        switch_url,
        (_path(order_id, "pay"), {}),
        _moved(
            sender,
            lambda services, sent: order_service.pay(
                services, call_transport(), sent.sender, order_id, sent.message_id
            ),
        ),
        message_id=message_id,
    )


@app.command()
def ship(
    order_id: str,
    origin: Annotated[str, typer.Option(help="Six-digit area code the parcel leaves from.")],
    weight_g: Annotated[int, typer.Option("--weight-g", help="Weight in grams.", min=1)],
    key_file: KeyFile = None,
    switch_url: SwitchUrl = SWITCH,
    sender: As = None,
    message_id: MessageId = None,
    as_json: JsonAnswer = False,
) -> None:
    """Book the order's carrier (as the merchant)."""
    act(
        sender,
        key_file,
        switch_url,
        (_path(order_id, "ship"), {"origin": origin, "weight_g": weight_g}),
        _moved(
            sender,
            lambda services, sent: order_shipping.ship(
                services, call_transport(), sent.sender, order_id, origin=origin, weight_g=weight_g
            ),
        ),
        message_id=message_id,
    )


@app.command()
def confirm(
    order_id: str,
    key_file: KeyFile = None,
    switch_url: SwitchUrl = SWITCH,
    sender: As = None,
    message_id: MessageId = None,
    as_json: JsonAnswer = False,
) -> None:
    """Confirm receipt (as the host): the order completes and the money is split."""
    act(
        sender,
        key_file,
        switch_url,
        (_path(order_id, "confirm"), {}),
        recorded(
            lambda services, sent: order_service.confirm(services, sent.sender, order_id),
            order_moved_out(sender or ""),
            around=opening_split_accounts,
        ),
        message_id=message_id,
    )


@app.command()
def cancel(
    order_id: str,
    reason: Annotated[str, typer.Option(help="Why, as a short code.")] = "",
    key_file: KeyFile = None,
    switch_url: SwitchUrl = SWITCH,
    sender: As = None,
    message_id: MessageId = None,
    as_json: JsonAnswer = False,
) -> None:
    """Cancel before shipping: stock back, the payment voided or refunded."""
    act(
        sender,
        key_file,
        switch_url,
        (_path(order_id, "cancel"), {"reason": reason}),
        _moved(
            sender,
            lambda services, sent: order_service.cancel(
                services, call_transport(), sent.sender, order_id, reason
            ),
        ),
        message_id=message_id,
    )


@app.command("refund-request")
def refund_request(
    order_id: str,
    amount: Annotated[list[str], typer.Option(help="SKU=FEN to give back (repeatable).")],
    key_file: KeyFile = None,
    switch_url: SwitchUrl = SWITCH,
    sender: As = None,
    message_id: MessageId = None,
    as_json: JsonAnswer = False,
) -> None:
    """Ask for a refund (as the host, for the buyer)."""
    amounts = _amounts(amount, "amounts")
    act(
        sender,
        key_file,
        switch_url,
        (_path(order_id, "refund-request"), {"amounts": amounts}),
        _moved(
            sender,
            lambda services, sent: order_refunds.request(
                services, sent.sender, order_id, amounts, None
            ),
        ),
        message_id=message_id,
    )


@app.command("refund-close")
def refund_close(
    order_id: str,
    key_file: KeyFile = None,
    switch_url: SwitchUrl = SWITCH,
    sender: As = None,
    message_id: MessageId = None,
    as_json: JsonAnswer = False,
) -> None:
    """Refuse the refund request (as the merchant) or withdraw it (as the host)."""
    act(
        sender,
        key_file,
        switch_url,
        (_path(order_id, "refund-request/close"), {}),
        _moved(sender, lambda services, sent: order_refunds.close(services, sent.sender, order_id)),
        message_id=message_id,
    )


@app.command()
def refund(
    order_id: str,
    refund_id: Annotated[str, typer.Option(help="Your id of this refund.")] = "",
    key_file: KeyFile = None,
    switch_url: SwitchUrl = SWITCH,
    sender: As = None,
    message_id: MessageId = None,
    as_json: JsonAnswer = False,
) -> None:
    """Refund what the buyer asked (as the merchant)."""
    act(
        sender,
        key_file,
        switch_url,
        (_path(order_id, "refunds"), lambda sent: {"refund_id": derived_id("rf", refund_id, sent)}),
        _moved(
            sender,
            lambda services, sent: order_refunds.refund(
                services,
                call_transport(),
                sent.sender,
                order_id,
                derived_id("rf", refund_id, sent.message_id),
                None,
                None,
            ),
        ),
        message_id=message_id,
    )


@app.command()
def show(order_id: str, key_file: KeyFile = None, switch_url: SwitchUrl = SWITCH) -> None:
    """One order: as a party to it (--key-file), or as the switch keeps it (operator)."""

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            return (await order_store.require_order(conn, order_id)).to_dict()

    path = path_of("/v1/orders/{}", order_id)
    show_json(read_or_direct(key_file, switch_url, path, lambda: with_services(work)))


@app.command("list")
def list_orders(
    party: Annotated[str, typer.Option(help="Only orders involving this participant.")] = "",
    state: Annotated[str, typer.Option(help="Only orders in this state.")] = "",
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    key_file: KeyFile = None,
    switch_url: SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Orders, newest first: yours with --key-file (auditors: all), else the operator's."""
    if key_file is not None:
        if party:
            refuse("invalid_option", "with --key-file you list your own orders", exit_code=USAGE)
        found = read(key_file, switch_url, "/v1/orders", status=state or None, limit=limit)
        answer(found, as_json, _orders)
        return

    async def work(services: Services) -> list[dict[str, Any]]:
        async with services.db.read() as conn:
            rows = await order_store.list_orders(
                conn, party or None, state=state or None, limit=limit
            )
        return [row.to_dict() for row in rows]

    answer({"orders": with_services(work)}, as_json, _orders)


def _orders(found: dict[str, Any]) -> None:
    table = Table("order", "state", "host", "merchant", "channel", "total", "refunded")
    for order in found["orders"]:
        table.add_row(order["id"], order["state"], order["host"], order["merchant"],
                      order["channel"], yuan(order["total"]), yuan(order["refunded"]))  # fmt: skip
    console.print(table)


@app.command()
def schedules(host: str) -> None:
    """A host's commission schedule, every version."""

    async def work(services: Services) -> list[dict[str, Any]]:
        async with services.db.read() as conn:
            history = await commission_store.commission_history(conn, host)
        return [schedule.to_dict() for schedule in history.versions]

    show_json({"host": host, "versions": with_services(work)})
