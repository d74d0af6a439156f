"""A pickup point nobody declared, named in a body: 422 `unknown_pickup_point`, everywhere.

An unknown reference inside a body is a request that cannot be processed
(422), as an unknown wallet or carrier is; a 404 is for the resource a path
names. Quotes and bookings refuse it when they read the route's destination;
the carrier-by-carrier refusal check (`quote_all`, `booking.book`, which
in-process callers such as the CLI reach with a `Route` of their own) refuses
it the same way, and nothing is written.
"""

from __future__ import annotations

import pytest

from hutong.logistics import booking, service
from hutong.logistics.quotes import Place
from hutong.net.transport import call_transport
from hutong.protocol.errors import HutongError, ValidationError
from tests.harness.assertions import assert_nack
from tests.harness.cast import JDL, TEA_HOUSE
from tests.harness.networks import Logistics
from tests.harness.switch import row_counts

HANGZHOU, SHANGHAI = "330106", "310104"
NOWHERE = "nowhere-01"
#: What a booking writes (the refused message's own record aside: a retry replays it).
WRITES = ("shipments", "logistics_refusals", "outbox")
#: A route to a point nobody declared, as an in-process caller builds it (city known).
ROUTE = service.Route(
    Place.from_code(HANGZHOU), Place.from_code(SHANGHAI), 800, pickup_point_id=NOWHERE
)


async def test_quoting_or_booking_to_an_unknown_pickup_point_is_refused_422(
    net: Logistics,
) -> None:
    before = await row_counts(net.switch.services)
    parcel = {"origin": HANGZHOU, "pickup_point_id": NOWHERE, "weight_g": 800}
    booking = parcel | {"carrier": JDL, "service": "standard", "address": {"name": "王女士"}}

    assert_nack(
        await net.post(TEA_HOUSE, "/v1/shipments/quote", parcel), 422, "unknown_pickup_point"
    )
    assert_nack(await net.post(TEA_HOUSE, "/v1/shipments", booking), 422, "unknown_pickup_point")

    after = await row_counts(net.switch.services)
    assert {t: after[t] - before[t] for t in WRITES} == dict.fromkeys(WRITES, 0)


async def test_the_carrier_refusal_check_refuses_an_unknown_point_as_the_routes_do(
    net: Logistics,
) -> None:
    services = net.switch.services
    before = await row_counts(services)

    with pytest.raises(HutongError) as quoted:
        await service.quote_all(services, ROUTE, TEA_HOUSE)
    with pytest.raises(HutongError) as booked:
        await booking.book(
            services,
            call_transport(),
            merchant=TEA_HOUSE,
            carrier=JDL,
            service="standard",
            route=ROUTE,
            destination={"pickup_point_id": NOWHERE},
            shipment_id="shp-nowhere",
        )

    for refused in (quoted.value, booked.value):
        assert isinstance(refused, ValidationError), refused
        assert refused.code == "unknown_pickup_point"
    assert await row_counts(services) == before
