"""Placements, link policies and resolution events in the database."""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.links.hosts import alias
from hutong.links.policy import LinkRule, PolicyHistory, Surface
from hutong.links.resolution import Targets
from hutong.links.share_code import ALPHABET, MAX_SERIAL
from hutong.protocol.declared_time import Correction
from hutong.protocol.errors import ConflictError, ValidationError
from hutong.protocol.ids import new_id
from hutong.store import corrections
from hutong.store.cache import changed
from hutong.store.corrections import CorrectionRecord
from hutong.store.tables import (
    link_rules,
    merchant_profiles,
    mini_program_links,
    offers,
    placements,
    storefronts,
)

#: Length of the universal link's code: 8 letters of a 27-letter alphabet
#: (about 2.8e11 codes), random, so a code says nothing about what it opens.
LINK_CODE_LENGTH = 8
#: How `hutong.store.corrections` names link rules.
POLICY_KIND = "link_rules"
#: The declaration cache's kinds (`hutong.links.cached`): a placement's view by
#: code, and a host's link policies by alias. Writes that change what a
#: placement's view joins drop the whole kind: ``changed(conn, (PLACEMENTS,))``.
PLACEMENTS = "link_placement"
POLICIES = "link_policies"


def new_link_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LINK_CODE_LENGTH)).lower()


_CODE_LETTERS = frozenset(ALPHABET.lower())


def could_be_link_code(code: str) -> bool:
    """Whether `code` (lower case) has the shape `new_link_code` gives every code: anything
    else names no placement, so it needs no read and takes no place in a cache."""
    return len(code) == LINK_CODE_LENGTH and _CODE_LETTERS.issuperset(code)


@dataclass(frozen=True, slots=True)
class PlacementView:
    """A placement with what resolving it needs, from one query."""

    id: str
    code: str
    share_serial: int
    host: str
    surface: Surface
    merchant: str
    sku_id: str
    placed_by: str
    storefront_id: str | None
    share_expires_at: datetime
    title: str
    price: int
    targets: Targets
    #: The platform the link leads to (an alias): the host itself for a
    #: storefront inside it, else the merchant's home platform.
    source: str
    self_operated: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "host": self.host,
            "surface": self.surface.value,
            "merchant": self.merchant,
            "sku_id": self.sku_id,
            "placed_by": self.placed_by,
            "storefront_id": self.storefront_id,
            "title": self.title,
            "price": self.price,
            "source": self.source,
            "share_expires_at": self.share_expires_at.isoformat(),
        }


_VIEW = select(
    placements,
    offers.c.title,
    offers.c.price,
    offers.c.h5_url,
    offers.c.deep_link,
    offers.c.mini_program_app_id,
    offers.c.mini_program_path,
    merchant_profiles.c.home_platform,
    merchant_profiles.c.self_operated,
    storefronts.c.status.label("storefront_status"),
).select_from(
    placements.join(
        offers,
        (offers.c.merchant == placements.c.merchant) & (offers.c.sku_id == placements.c.sku_id),
    )
    .outerjoin(merchant_profiles, merchant_profiles.c.subscriber_id == placements.c.merchant)
    .outerjoin(storefronts, storefronts.c.id == placements.c.storefront_id)
)
_BY_CODE = _VIEW.where(placements.c.code == bindparam("code"))
_BY_SERIALS = _VIEW.where(placements.c.share_serial.in_(bindparam("serials", expanding=True)))
_BY_ID = _VIEW.where(placements.c.id == bindparam("placement_id"))
_BY_CODES = _VIEW.where(placements.c.code.in_(bindparam("codes", expanding=True)))


def _view(row: Any) -> PlacementView:
    in_host_store = row.storefront_id is not None and row.storefront_status == "approved"
    home = row.home_platform or row.merchant
    return PlacementView(
        id=row.id,
        code=row.code,
        share_serial=row.share_serial,
        host=row.host,
        surface=Surface(row.surface),
        merchant=row.merchant,
        sku_id=row.sku_id,
        placed_by=row.placed_by,
        storefront_id=row.storefront_id,
        share_expires_at=row.share_expires_at,
        title=row.title,
        price=row.price,
        targets=Targets(
            h5_url=row.h5_url,
            deep_link=row.deep_link,
            mini_program_app_id=row.mini_program_app_id,
            mini_program_path=row.mini_program_path,
        ),
        source=alias(row.host) if in_host_store else alias(home),
        self_operated=bool(row.self_operated),
    )


async def placement_by_code(conn: AsyncConnection, code: str) -> PlacementView | None:
    row = (await conn.execute(_BY_CODE, {"code": code.lower()})).first()
    return _view(row) if row is not None else None


async def placements_by_codes(
    conn: AsyncConnection, codes: Collection[str]
) -> dict[str, PlacementView]:
    """The placements of the (lower-case) `codes` that exist, by code."""
    if not codes:
        return {}
    rows = (await conn.execute(_BY_CODES, {"codes": list(codes)})).all()
    return {row.code: _view(row) for row in rows}


async def placement_by_id(conn: AsyncConnection, placement_id: str) -> PlacementView | None:
    row = (await conn.execute(_BY_ID, {"placement_id": placement_id})).first()
    return _view(row) if row is not None else None


async def placements_by_serials(
    conn: AsyncConnection, serials: tuple[int, ...]
) -> dict[int, PlacementView]:
    if not serials:
        return {}
    rows = (await conn.execute(_BY_SERIALS, {"serials": list(serials)})).all()
    return {row.share_serial: _view(row) for row in rows}


async def create_placement(
    conn: AsyncConnection,
    *,
    host: str,
    surface: Surface,
    merchant: str,
    sku_id: str,
    placed_by: str,
    storefront_id: str | None,
    share_expires_at: datetime,
    now: datetime,
) -> str:
    """Store a placement with a fresh random link code and share serial; returns its id."""
    offer = await conn.scalar(
        select(offers.c.sku_id).where(offers.c.merchant == merchant, offers.c.sku_id == sku_id)
    )
    if offer is None:
        # The body names the offer: the body's mistake (``unknown_offer`` is a path's 404).
        raise ValidationError(f"{merchant} has no offer {sku_id}", code="no_such_offer")
    if storefront_id is not None:
        row = (
            await conn.execute(select(storefronts).where(storefronts.c.id == storefront_id))
        ).first()
        if row is None or row.merchant != merchant or row.host != host:
            raise ValidationError(
                f"storefront {storefront_id} is not {merchant}'s storefront on {host}",
                code="storefront_mismatch",
            )
        if row.status != "approved":
            raise ConflictError(
                f"storefront {storefront_id} is {row.status}, not approved",
                code="storefront_not_approved",
            )
        if sku_id not in {item["sku_id"] for item in json.loads(row.catalog)}:
            raise ValidationError(
                f"{sku_id} is not in the catalog of storefront {storefront_id}",
                code="sku_not_in_storefront",
            )
    placement_id = new_id("pl")
    for _ in range(8):
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(placements),
                    {
                        "id": placement_id,
                        "code": new_link_code(),
                        "share_serial": secrets.randbelow(MAX_SERIAL + 1),
                        "host": host,
                        "surface": surface.value,
                        "merchant": merchant,
                        "sku_id": sku_id,
                        "placed_by": placed_by,
                        "storefront_id": storefront_id,
                        "created_at": now,
                        "share_expires_at": share_expires_at,
                    },
                )
            return placement_id
        except IntegrityError:  # a random code or serial collided: draw again
            continue
    raise RuntimeError("could not draw a unique link code")


# -- link policies ----------------------------------------------------------------


async def policy_history(conn: AsyncConnection, host: str) -> PolicyHistory:
    rows = (
        await conn.execute(
            select(link_rules.c.rule)
            .where(link_rules.c.host == alias(host))
            .order_by(link_rules.c.version)
        )
    ).all()
    return PolicyHistory(alias(host), [LinkRule.from_dict(json.loads(r.rule)) for r in rows])


async def declare_rule(
    conn: AsyncConnection,
    rule: LinkRule,
    now: datetime,
    *,
    correction: Correction | None = None,
    declared_by: str = "",
) -> LinkRule:
    """Append a version to the host's history (never rewriting the past).

    Its valid_from is the declaring day or later, unless it is a `correction`
    (`hutong.store.corrections`), filed beside it for the history to show.
    """
    corrections.admit(rule.valid_from, now, correction)
    history = await policy_history(conn, rule.host)
    stored = history.declare(rule)
    changed(conn, (POLICIES, alias(stored.host)))
    await conn.execute(
        insert(link_rules),
        {
            "host": stored.host,
            "version": stored.version,
            "rule": json.dumps(stored.to_dict(), ensure_ascii=False),
            "recorded_at": now,
        },
    )
    await corrections.record(
        conn,
        kind=POLICY_KIND,
        owner=stored.host,
        version=stored.version,
        valid_from=stored.valid_from,
        correction=correction,
        declared_by=declared_by,
        now=now,
    )
    return stored


async def rule_corrections(conn: AsyncConnection, host: str) -> dict[int, CorrectionRecord]:
    """The host's back-dated versions, by version."""
    return await corrections.corrections_of(conn, POLICY_KIND, alias(host))


async def policy_hosts(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(select(link_rules.c.host).group_by(link_rules.c.host))
    return sorted(r.host for r in rows)


async def rule_count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(link_rules)) or 0)


# -- mini-program URL links ---------------------------------------------------------


async def mini_program_url(conn: AsyncConnection, placement_id: str) -> tuple[str, datetime] | None:
    row = (
        await conn.execute(
            select(mini_program_links).where(mini_program_links.c.placement_id == placement_id)
        )
    ).first()
    return (row.url, row.expires_at) if row is not None else None


def day_of(moment: datetime) -> date:
    return moment.date()
