"""Who sees what of an order: the one rule for every answer and every event.

An order is shown to the participants it involves and to auditors, each in
one or more roles (`Viewer`). Most of an order every one of them sees; the
fields in `RESTRICTED` only the roles named there:

============ ====================================================================
field        seen by
============ ====================================================================
destination  the host (its buyer's address), the merchant (who ships) and the
             carrier (who delivers); not the merchant's platform, the wallet,
             the creator or an auditor
============ ====================================================================

Everyone else gets the field as ``null``. A participant that plays several
roles sees what any of them sees. `view` is what ``GET /v1/orders``,
``GET /v1/orders/{id}``, the answers of the order steps and the ``on_order``
events show (`hutong.commerce.orders.moves.tell`), so they cannot disagree;
``GET /v1/orders/{id}`` adds the order's coupon and livestream session
(`hutong.commerce.orders.details`), the same for every reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hutong.commerce.orders.store import OrderRow

__all__ = ["RESTRICTED", "OrderView", "Viewer", "roles_of", "sees", "view"]


class Viewer(StrEnum):
    """A role in which a participant reads an order."""

    HOST = "host"
    MERCHANT_PLATFORM = "merchant_platform"
    MERCHANT = "merchant"
    WALLET = "wallet"
    CARRIER = "carrier"
    CREATOR = "creator"
    AUDITOR = "auditor"


V = Viewer

#: The fields only some roles see (every other field of `OrderRow.to_dict` all of them see).
RESTRICTED: Mapping[str, frozenset[Viewer]] = {
    "destination": frozenset({V.HOST, V.MERCHANT, V.CARRIER}),
}

_PARTY_ROLES = (V.HOST, V.MERCHANT_PLATFORM, V.MERCHANT, V.WALLET, V.CARRIER, V.CREATOR)


def roles_of(row: OrderRow, participant: str, *, auditor: bool = False) -> frozenset[Viewer]:
    """The roles `participant` plays in `row` (``auditor``: it holds the auditor role)."""
    roles = {
        role for role in _PARTY_ROLES if participant and getattr(row, role.value) == participant
    }
    if auditor:
        roles.add(V.AUDITOR)
    return frozenset(roles)


def sees(roles: frozenset[Viewer], field: str) -> bool:
    """Whether a reader in `roles` sees `field` of an order."""
    allowed = RESTRICTED.get(field)
    return allowed is None or bool(roles & allowed)


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as one reader sees it."""

    row: OrderRow
    roles: frozenset[Viewer]
    #: What the order's own view adds (`hutong.commerce.orders.details`), seen by every reader.
    details: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        document = self.row.to_dict() | dict(self.details or {})
        for field in RESTRICTED:
            if not sees(self.roles, field):
                document[field] = None
        return document


def view(row: OrderRow, participant: str, *, auditor: bool = False) -> OrderView:
    """`row` as `participant` sees it (see the module doc)."""
    return OrderView(row, roles_of(row, participant, auditor=auditor))
