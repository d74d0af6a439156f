"""`hutong ship quote|book|track|cancel` and `hutong pickup search`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli._common import console, with_services
from hutong.logistics import service, store
from hutong.logistics.pickup import PickupPoint
from hutong.logistics.quotes import Place
from hutong.net.transport import open_transport
from hutong.protocol.ids import new_id
from hutong.runtime.services import Services

ship_app = typer.Typer(help="Shipments: quote, book, track, cancel.", no_args_is_help=True)
pickup_app = typer.Typer(help="Pickup points of every network.", no_args_is_help=True)

Origin = Annotated[str, typer.Option(help="Six-digit area code of the sender, e.g. 330106.")]
Destination = Annotated[str, typer.Option(help="Area code of the recipient.")]
PickupPointId = Annotated[str | None, typer.Option(help="Deliver to this pickup point instead.")]
Weight = Annotated[int, typer.Option(help="Weight in grams.")]
Host = Annotated[str | None, typer.Option(help="The host platform of the order, if any.")]


def _place(code: str) -> Place:
    try:
        return Place.from_code(code)
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
    weight: Weight,
    destination: Destination = "",
    pickup_point: PickupPointId = None,
    host: Host = None,
) -> None:
    """Quotes of every carrier that serves the route, cheapest first."""

    async def work(services: Services) -> service.QuoteBoard:
        route = await _route(services, origin, destination, pickup_point, weight, host)
        return await service.quote_all(services, route)

    board = with_services(work)
    table = Table("carrier", "service", "price (fen)", "days", "zone")
    for q in board.quotes:
        table.add_row(q.carrier, q.service, str(q.price), str(q.days), q.zone.value)
    console.print(table)
    for refusal in board.refused:
        console.print(f"[yellow]refused:[/] {refusal['carrier']}: {refusal['reason']}")


@ship_app.command()
def book(
    merchant: Annotated[str, typer.Option(help="The merchant shipping.")],
    carrier: Annotated[str, typer.Option(help="The carrier chosen, e.g. jd-logistics.example.")],
    service_name: Annotated[str, typer.Option("--service", help="The carrier's service.")],
    origin: Origin,
    weight: Weight,
    destination: Destination = "",
    pickup_point: PickupPointId = None,
    host: Host = None,
) -> None:
    """Book a shipment with the carrier (the switch calls the carrier, signed)."""

    async def work(services: Services) -> store.Shipment:
        await services.load_switch_key()
        route = await _route(services, origin, destination, pickup_point, weight, host)
        async with open_transport() as http:
            return await service.book(
                services,
                http,
                merchant=merchant,
                carrier=carrier,
                service=service_name,
                route=route,
                destination={"area_code": destination},
                shipment_id=new_id("shp"),
            )

    shipment = with_services(work)
    console.print(
        f"booked {shipment.id}: {shipment.carrier} {shipment.service}, tracking "
        f"{shipment.tracking_number}, {shipment.price} fen"
    )


@ship_app.command()
def track(shipment_id: str) -> None:
    """A shipment's state and its tracking events, in one language (raw codes kept)."""

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
def cancel(shipment_id: str) -> None:
    """Cancel a shipment that was not picked up yet (on the merchant's behalf)."""

    async def work(services: Services) -> store.Shipment:
        await services.load_switch_key()
        async with services.db.read() as conn:
            merchant = (await store.get_shipment(conn, shipment_id)).merchant
        async with open_transport() as http:
            return await service.cancel(services, http, shipment_id, merchant)

    shipment = with_services(work)
    console.print(f"{shipment.id} is {shipment.status.value}")


@pickup_app.command()
def search(
    lat: Annotated[float, typer.Option(help="Latitude in degrees.")],
    lng: Annotated[float, typer.Option(help="Longitude in degrees.")],
    radius_m: Annotated[int, typer.Option(help="Search radius in metres.")] = 2000,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 20,
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
