"""`hutong ship quote|book|track|cancel` and `hutong pickup search`.

A merchant books and cancels with its key (`--key-file`, `HUTONG_KEY_FILE`),
signed over HTTP to `--switch-url`; the operator may act directly
(`--merchant`/`--as`, `--operator`). Weights are `--weight-g` (grams)
everywhere; `--weight` is the old, hidden spelling.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.cli import once, remote
from hutong.cli._common import USAGE, AsJson, answer, console, refuse, show_json, with_services
from hutong.logistics import booking, service, store
from hutong.logistics.booked import shipment_id_of
from hutong.logistics.pickup import PickupPoint
from hutong.logistics.quotes import Place, Quote, UnknownRegion
from hutong.net.transport import call_transport
from hutong.runtime.exactly_once import Present, Write
from hutong.runtime.services import Services

SWITCH = remote.DEFAULT_SWITCH_URL

ship_app = typer.Typer(help="Shipments: quote, book, track, cancel.", no_args_is_help=True)
pickup_app = typer.Typer(help="Pickup points of every network.", no_args_is_help=True)

Origin = Annotated[str, typer.Option(help="Six-digit area code of the sender, e.g. 330106.")]
Destination = Annotated[str, typer.Option(help="Area code of the recipient.")]
PickupPointId = Annotated[str | None, typer.Option(help="Deliver to this pickup point instead.")]
Weight = Annotated[int | None, typer.Option("--weight-g", help="Weight in grams.", min=1)]
#: The old spelling of --weight-g, hidden and deprecated.
OldWeight = Annotated[int | None, typer.Option("--weight", hidden=True, min=1)]
MAX_RADIUS_M = 50_000
Host = Annotated[str | None, typer.Option(help="The host platform of the order, if any.")]


def _grams(weight_g: int | None, old: int | None) -> int:
    if weight_g is None and old is None:
        refuse("missing_weight", "give the parcel's weight in grams: --weight-g", exit_code=USAGE)
    if weight_g is not None and old is not None and weight_g != old:
        refuse("conflicting_weight", "give the weight once, as --weight-g", exit_code=USAGE)
    return weight_g if weight_g is not None else old  # type: ignore[return-value]


def _place(code: str) -> Place:
    """The place of an area code; a refusal (exit 1) names ``unknown_region`` or the bad code."""
    try:
        return Place.from_code(code)
    except UnknownRegion as exc:
        refuse("unknown_region", str(exc))
    except ValueError:
        raise typer.BadParameter(f"{code!r} is not a six-digit area code") from None


async def _route(
    services: Services,
    origin: str,
    destination: str,
    point: str | None,
    weight: int,
    host: str | None,
) -> service.Route:
    if point:
        async with services.db.read() as conn:
            found = await store.get_point(conn, point)
        if found is None:
            raise typer.BadParameter(f"no pickup point {point}")
        return service.Route(_place(origin), Place(found.province, found.city), weight, point, host)
    return service.Route(_place(origin), _place(destination), weight, None, host)


@ship_app.command()
def quote(
    origin: Origin,
    weight_g: Weight = None,
    destination: Destination = "",
    pickup_point: PickupPointId = None,
    host: Host = None,
    weight: OldWeight = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Quotes of every carrier that serves the route, cheapest first.

    With --key-file, asked of the switch over HTTP (signed); without, from the database.
    """
    weight = _grams(weight_g, weight)
    if key_file is not None:
        message = {"origin": origin, "destination": destination, "weight_g": weight,
                   "pickup_point_id": pickup_point, "host": host}  # fmt: skip
        answer(remote.send(key_file, switch_url, "/v1/shipments/quote", message), as_json, _board)
        return

    async def work(services: Services) -> service.QuoteBoard:
        route = await _route(services, origin, destination, pickup_point, weight, host)
        return await service.quote_all(services, route)

    board = with_services(work)
    if as_json:
        show_json({"quotes": [_quote(q) for q in board.quotes], "refused": board.refused})
        return
    table = Table("carrier", "service", "price (fen)", "days", "zone")
    for q in board.quotes:
        table.add_row(q.carrier, q.service, str(q.price), str(q.days), q.zone.value)
    console.print(table)
    for refusal in board.refused:
        console.print(f"[yellow]refused:[/] {refusal['carrier']}: {refusal['reason']}")


def _quote(q: Quote) -> dict[str, Any]:
    """A quote as `POST /v1/shipments/quote` answers it."""
    return {"carrier": q.carrier, "service": q.service, "price": q.price, "days": q.days,
            "zone": q.zone.value}  # fmt: skip


def _board(board: dict[str, Any]) -> None:
    """The switch's answer to a quote: a table, then each carrier's refusal."""
    table = Table("carrier", "service", "price (fen)", "days", "zone")
    for q in board["quotes"]:
        table.add_row(q["carrier"], q["service"], str(q["price"]), str(q["days"]), q["zone"])
    console.print(table)
    for refusal in board["refused"]:
        console.print(f"[yellow]refused:[/] {refusal['carrier']}: {refusal['reason']}")


@ship_app.command()
def book(
    carrier: Annotated[str, typer.Option(help="The carrier chosen, e.g. jd-logistics.example.")],
    service_name: Annotated[str, typer.Option("--service", help="The carrier's service.")],
    origin: Origin,
    weight_g: Weight = None,
    destination: Destination = "",
    pickup_point: PickupPointId = None,
    host: Host = None,
    weight: OldWeight = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    merchant: Annotated[
        str | None,
        typer.Option(
            "--merchant", "--as", help="Operator only: book directly for this merchant (unsigned)."
        ),
    ] = None,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Book a shipment with the carrier, as the merchant (the switch calls the carrier, signed)."""
    grams = _grams(weight_g, weight)

    async def booked(services: Services, sent: once.Sent) -> Write[store.Shipment]:
        route = await _route(services, origin, destination, pickup_point, grams, host)
        shipment = await booking.book(
            services,
            call_transport(),
            merchant=sent.sender,
            carrier=carrier,
            service=service_name,
            route=route,
            destination={"area_code": destination},
            shipment_id=shipment_id_of(sent.sender, sent.message_id),
        )
        return _stored(shipment)

    message: dict[str, Any] = {
        "carrier": carrier,
        "service": service_name,
        "origin": origin,
        "destination": destination,
        "pickup_point_id": pickup_point,
        "weight_g": grams,
        "host": host,
    }
    direct = once.decided(booked, _shown(201))
    remote.act(merchant, key_file, switch_url, ("/v1/shipments", message), direct, message_id)


@ship_app.command()
def track(
    shipment_id: str, key_file: remote.KeyFile = None, switch_url: remote.SwitchUrl = SWITCH
) -> None:
    """A shipment's state and its tracking events, in one language (raw codes kept).

    With --key-file as one of its parties, over HTTP; without, from the database (operator).
    """
    if key_file is not None:
        path = remote.path_of("/v1/shipments/{}", shipment_id)
        show_json(remote.call(key_file, switch_url, "GET", path))
        return

    async def work(services: Services) -> tuple[store.Shipment, list[dict[str, Any]]]:
        async with services.db.read() as conn:
            return (
                await store.get_shipment(conn, shipment_id),
                await store.events_of(conn, shipment_id),
            )

    shipment, events = with_services(work)
    console.print(
        f"{shipment.id} ({shipment.carrier} {shipment.tracking_number}): "
        f"[bold]{shipment.status.value}[/] {shipment.sub_status}"
    )
    table = Table("when (UTC)", "status", "sub-status", "reason", "raw code", "applied")
    for event in events:
        raw = event["raw_code"] + (f"/{event['raw_sub_code']}" if event["raw_sub_code"] else "")
        table.add_row(
            event["occurred_at"][:19],
            event["status"],
            event["sub_status"],
            event["reason"],
            raw,
            "yes" if event["applied"] else "no",
        )
    console.print(table)


@ship_app.command()
def cancel(
    shipment_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    operator: Annotated[
        bool, typer.Option("--operator", help="Operator only: cancel directly, for its merchant.")
    ] = False,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Cancel a shipment that was not picked up yet (as its merchant)."""

    async def owner(services: Services) -> str:
        async with services.db.read() as conn:
            return (await store.get_shipment(conn, shipment_id)).merchant

    async def cancelling(services: Services, sent: once.Sent) -> Write[store.Shipment]:
        shipment = await service.ask_to_cancel(services, call_transport(), shipment_id, sent.sender)

        async def write(conn: AsyncConnection) -> store.Shipment:
            return await service.record_cancel(conn, shipment, services.clock())

        return write

    def direct(sent: once.Sent) -> dict[str, Any]:
        """The operator cancels for the shipment's merchant, as if it had sent the message."""
        return once.decided(cancelling, _shown(200))(sent.by(with_services(owner)))

    path = remote.path_of("/v1/shipments/{}/cancel", shipment_id)
    sender = "operator" if operator else None
    remote.act(sender, key_file, switch_url, (path, {}), direct, message_id)


def _stored(shipment: store.Shipment) -> Write[store.Shipment]:
    """The write of a booking the carrier answered (stored by `booking.book` already)."""

    async def write(_: AsyncConnection) -> store.Shipment:
        return shipment

    return write


def _shown(status: int) -> Present[store.Shipment]:
    """A shipment as the shipments API answers it."""

    def present(shipment: store.Shipment) -> tuple[int, dict[str, Any]]:
        return status, shipment.as_dict()

    return present


@pickup_app.command()
def search(
    lat: Annotated[float, typer.Option(help="Latitude in degrees.", min=-90, max=90)],
    lng: Annotated[float, typer.Option(help="Longitude in degrees.", min=-180, max=180)],
    radius_m: Annotated[
        int, typer.Option(help="Search radius in metres.", min=1, max=MAX_RADIUS_M)
    ] = 2000,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=100)] = 20,
) -> None:
    """Pickup points of every network near a location, nearest first."""

    async def work(services: Services) -> list[tuple[int, PickupPoint]]:
        async with services.db.read() as conn:
            return await store.points_near(
                conn, round(lat * 1e6), round(lng * 1e6), radius_m, limit
            )

    table = Table("m", "point", "network", "name", "address", "hours", "held/capacity")
    for distance, point in with_services(work):
        table.add_row(
            str(distance),
            point.id,
            point.network,
            point.name,
            point.address,
            point.opening_hours,
            f"{point.held}/{point.capacity}",
        )
    console.print(table)
