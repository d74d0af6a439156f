"""How an order came, checked: a storefront, a placement, or the host's own store.

How the order came decides the host's take rate (`hutong.commerce.commissions.Channel`):
a storefront of the merchant inside the host (open, selling the lines at the
prices it shows), a placement of the host (an external link) or of a creator
(who is then paid a commission; a live cart's placement only while its session
is on air), or the host's own store when the merchant's home platform is the host.
A storefront or placement the order names that does not exist is the body's
mistake: 422 ``no_such_storefront`` / ``no_such_placement`` (``unknown_storefront``
and ``unknown_placement`` stay the 404s of the routes whose path names one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hutong.commerce.commissions import Channel
from hutong.commerce.livestreams.cart import require_cart_open
from hutong.commerce.orders.lines import OrderLine
from hutong.commerce.storefronts import StorefrontStatus
from hutong.commerce.storefronts.store import declared_storefront
from hutong.links.host_policy import require_not_blocked
from hutong.links.store import placement_by_id
from hutong.protocol.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from hutong.runtime.services import Services

__all__ = ["Asked", "Origin", "order_origin"]


class Asked(Protocol):
    """What the order names of its origin (`hutong.commerce.orders.intake.NewOrder`)."""

    @property
    def merchant(self) -> str: ...
    @property
    def storefront_id(self) -> str: ...
    @property
    def placement_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Origin:
    """How the order came: its channel, and the creator and category it carries."""

    channel: Channel
    creator: str = ""
    placement_id: str = ""
    storefront_id: str = ""


async def order_origin(
    services: Services,
    host: str,
    spec: Asked,
    merchant_platform: str,
    lines: tuple[OrderLine, ...],
) -> Origin:
    """How `host`'s order of `lines` came, checked: its storefront or placement, or the
    host's own store (``no_channel`` when the merchant sells on another platform)."""
    skus = {line.sku_id for line in lines}
    if spec.storefront_id and spec.placement_id:
        raise ValidationError(
            "an order comes from a storefront or a placement, not both", code="invalid_origin"
        )
    async with services.db.read() as conn:
        if spec.storefront_id:
            try:
                storefront = await declared_storefront(conn, spec.storefront_id)
            except NotFoundError as missing:  # 422: the body names it (the path's is a 404)
                raise ValidationError(missing.message, code="no_such_storefront") from None
            if storefront.host != host or storefront.merchant != spec.merchant:
                raise ForbiddenError(
                    f"storefront {storefront.id} is {storefront.merchant}'s in {storefront.host}",
                    code="not_your_storefront",
                )
            if storefront.status is not StorefrontStatus.APPROVED:
                raise ConflictError(
                    f"storefront {storefront.id} is {storefront.status.value}",
                    code="storefront_not_open",
                )
            _in_catalog(storefront.id, {i.sku_id: i.price for i in storefront.catalog}, lines)
            return Origin(Channel.STOREFRONT, storefront_id=storefront.id)
        if spec.placement_id:
            placement = await placement_by_id(conn, spec.placement_id)
            if placement is None:
                raise ValidationError(  # 422: the body names it (the path's is a 404)
                    f"no placement {spec.placement_id}", code="no_such_placement"
                )
            if placement.host != host or placement.merchant != spec.merchant:
                raise ForbiddenError(
                    f"placement {placement.id} is {placement.merchant}'s on {placement.host}",
                    code="not_your_placement",
                )
            if placement.sku_id not in skus:
                raise ValidationError(
                    f"placement {placement.id} places {placement.sku_id}, which is not ordered",
                    code="placement_not_ordered",
                )
            await require_not_blocked(
                conn,
                placement,
                services.clock().date(),
                f"an order through placement {placement.id}",
            )
            # A live cart's placement is ordered through only while its session is on air.
            await require_cart_open(conn, placement.id)
            creator = placement.placed_by if placement.placed_by != host else ""
            channel = Channel.CREATOR_PLACEMENT if creator else Channel.LINK_PLACEMENT
            if placement.storefront_id and not creator:
                channel = Channel.STOREFRONT
            return Origin(
                channel,
                creator=creator,
                placement_id=placement.id,
                storefront_id=placement.storefront_id or "",
            )
    if merchant_platform != host:
        raise ValidationError(
            f"{spec.merchant} sells on {merchant_platform}: an order in {host} comes from a "
            "storefront or a placement",
            code="no_channel",
        )
    return Origin(Channel.OWN_STORE)


def _in_catalog(storefront: str, catalog: dict[str, int], lines: tuple[OrderLine, ...]) -> None:
    """A storefront sells its catalog, at the prices it shows in the host."""
    for line in lines:
        if line.sku_id not in catalog:
            raise ValidationError(
                f"storefront {storefront} does not sell {line.sku_id}", code="not_in_storefront"
            )
        if catalog[line.sku_id] != line.unit_price_shown:
            raise ConflictError(
                f"{line.sku_id}: the storefront shows {catalog[line.sku_id]} fen, "
                f"not {line.unit_price_shown}",
                code="price_changed",
            )
