"""Grants and balances: a program credits points to its own members, once per grant id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.models import Result
from hutong.ledger.store import get_account
from hutong.payments import legs
from hutong.payments.points.programs import (
    check_member,
    require_program,
)
from hutong.payments.posting import ensure_accounts, post
from hutong.payments.rules import is_amount
from hutong.protocol.errors import ValidationError
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

MAX_GRANT_ID = 128

#: A grant id used again for another member or amount.
_GRANT_REUSED = {
    result: ("grant_id_reused", "this grant id was already used for another grant")
    for result in Result
    if result.value.startswith("exists_with_different")
}


def _grant_key(program: str, grant_id: str) -> str:
    """The ledger id of a grant: grant ids are the program's own, so scope them to it."""
    digest = hashlib.blake2b(
        f"{program}\n{grant_id}".encode(), digest_size=16, person=b"hutong-points-g"
    )
    return f"pg_{digest.hexdigest()}"


@dataclass(frozen=True, slots=True)
class Grant:
    """Points credited to a program's member, and the member's balance after it."""

    id: str
    program: str
    member: str
    points: int
    balance: int


async def grant(
    services: Services, sender: str, member: str, points: int, grant_id: str
) -> Write[Grant]:
    """`sender` (a program) credits `points` to its member; once per grant id."""
    await require_program(services, sender)
    check_member(member)
    if not (is_amount(points) and points > 0):
        raise ValidationError("points is a positive whole number", code="invalid_points")
    if not 0 < len(grant_id) <= MAX_GRANT_ID:
        raise ValidationError(
            f"grant_id is 1 to {MAX_GRANT_ID} characters", code="invalid_grant_id"
        )
    await ensure_accounts(
        services.db,
        [*legs.program_accounts(sender), legs.member_account(sender, member)],
        services.clock(),
    )
    key = _grant_key(sender, grant_id)

    async def write(conn: AsyncConnection) -> Grant:
        now = services.clock()
        await post(
            conn, legs.grant_points(key, sender, member, points), now, refusals=_GRANT_REUSED
        )
        account = await get_account(conn, legs.member_points(sender, member))
        return Grant(grant_id, sender, member, points, 0 if account is None else account.balance)

    return write


@dataclass(frozen=True, slots=True)
class Balance:
    """A member's points at a program: posted, held by running exchanges, and what is left."""

    program: str
    member: str
    asset: str
    points: int
    held: int

    @property
    def available(self) -> int:
        return self.points - self.held

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "member": self.member,
            "asset": self.asset,
            "points": self.points,
            "held": self.held,
            "available": self.available,
        }


async def balance(services: Services, sender: str, member: str) -> Balance:
    """A program's member's points: posted, held by running exchanges, available."""
    await require_program(services, sender)
    check_member(member)
    async with services.db.read() as conn:
        account = await get_account(conn, legs.member_points(sender, member))
    points = 0 if account is None else account.balance
    held = 0 if account is None else account.debits_pending
    return Balance(sender, member, legs.points_asset(sender), points, held)
