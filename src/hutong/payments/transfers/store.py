"""Where transfers are kept: their rows, the statements that move them, the wallets they read.

`TransferRow` is one row of the ``transfers`` table (and `TransferRow.to_dict`
what the wallets and auditors see of it); `get`, `require`, `add` and `save`
read and write rows; `ASK` and `COMMIT` are the
statements of the usual execute, one each (the accounts are locked by
`hutong.ledger.locks`); `due` finds the transfers past
their deadline. `wallet_infos` reads each participant's roles, status and fee
profile, remembered briefly per process (`WALLET_TTL`). What a transfer does
(quote, execute, commit, release, expire) is `hutong.payments.transfers`.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.payments.checkout import store
from hutong.payments.transfers.states import TransferState
from hutong.protocol.errors import NotFoundError
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import participants, transfers, wallet_profiles

_T = TransferState

#: quoted -> asking, when executed before the quote's deadline (else: the full check).
ASK = (
    update(transfers)
    .where(
        transfers.c.id == bindparam("transfer_id"),
        transfers.c.state == _T.QUOTED.value,
        transfers.c.expires_at > bindparam("asked_at"),
    )
    .values(state=_T.ASKING.value, expires_at=bindparam("until"), updated_at=bindparam("now"))
)
#: asking -> committed before the asking's deadline, returning the row.
COMMIT = (
    update(transfers)
    .where(
        transfers.c.id == bindparam("transfer_id"),
        transfers.c.state == _T.ASKING.value,
        transfers.c.expires_at > bindparam("now"),
    )
    .values(state=_T.COMMITTED.value, updated_at=bindparam("now"))
    .returning(*transfers.c)
)


@dataclass(frozen=True, slots=True)
class TransferRow:
    id: str
    payer_wallet: str
    payer_account: str
    payee_wallet: str
    payee_account: str
    payee_masked: str
    amount: int
    payer_fee: int
    payee_fee: int
    total_debit: int
    credited: int
    state: TransferState
    expires_at: datetime
    reason: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """What the wallets and auditors see: the payee masked, no account references."""
        return {
            "id": self.id,
            "state": self.state.value,
            "payer_wallet": self.payer_wallet,
            "payee_wallet": self.payee_wallet,
            "payee_masked": self.payee_masked,
            "amount": self.amount,
            "payer_fee": self.payer_fee,
            "payee_fee": self.payee_fee,
            "total_debit": self.total_debit,
            "credited": self.credited,
            "expires_at": self.expires_at.isoformat(),
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


# -- rows ---------------------------------------------------------------------------------


def from_row(row: Any) -> TransferRow:
    """A `TransferRow` from a row of the ``transfers`` table."""
    values = dict(row._mapping)
    values["state"] = TransferState(values["state"])
    return TransferRow(**values)


async def get(conn: AsyncConnection, transfer_id: str, *, lock: bool = False) -> TransferRow | None:
    query = select(transfers).where(transfers.c.id == transfer_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else from_row(row)


async def require(conn: AsyncConnection, transfer_id: str, *, lock: bool = False) -> TransferRow:
    found = await get(conn, transfer_id, lock=lock)
    if found is None:
        raise NotFoundError(f"no transfer {transfer_id}", code="unknown_transfer")
    return found


async def add(conn: AsyncConnection, transfer: TransferRow) -> None:
    """Insert a new transfer."""
    values = {name: getattr(transfer, name) for name in TransferRow.__dataclass_fields__}
    values["state"] = transfer.state.value
    await conn.execute(insert(transfers), values)


async def save(conn: AsyncConnection, changed: TransferRow) -> None:
    """Write a transfer's state, deadline, reason and update time."""
    await conn.execute(
        update(transfers)
        .where(transfers.c.id == changed.id)
        .values(
            state=changed.state.value,
            expires_at=changed.expires_at,
            reason=changed.reason,
            updated_at=changed.updated_at,
        )
    )


async def due(conn: AsyncConnection, now: datetime, limit: int) -> list[str]:
    """Ids of quoted or asking transfers whose deadline is past, the oldest deadline first."""
    query = (
        select(transfers.c.id)
        .where(
            transfers.c.state.in_([_T.QUOTED.value, _T.ASKING.value]),
            transfers.c.expires_at <= now,
        )
        .order_by(transfers.c.expires_at)
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())


async def participant_roles(
    conn: AsyncConnection, *subscriber_ids: str
) -> dict[str, tuple[set[str], str]]:
    """Roles and status of participants, in one query (the keys are not needed here)."""
    rows = await conn.execute(
        select(participants.c.subscriber_id, participants.c.roles, participants.c.status).where(
            participants.c.subscriber_id.in_(subscriber_ids)
        )
    )
    return {row.subscriber_id: (set(row.roles.split()), row.status) for row in rows.all()}


# -- wallets, briefly remembered ------------------------------------------------------------

#: How long (seconds) each process keeps a participant's roles, status and fee
#: profile for quotes and the directory's role check: a changed fee, role or
#: status applies to quotes within this long (in every worker). Signatures,
#: and so a suspension, are still checked on every request, and a quote only
#: prices the transfer: its execute asks both wallets, which refuse what they
#: no longer serve.
WALLET_TTL = 1.0


@dataclass(frozen=True, slots=True)
class WalletInfo:
    """A participant's roles, status and wallet profile (None: it declared none)."""

    roles: frozenset[str]
    status: str
    profile: store.WalletProfile | None


#: What `wallet_infos` gives for an id no participant has.
UNKNOWN_WALLET = WalletInfo(frozenset(), "", None)
_WALLETS_QUERY = (
    select(
        participants.c.subscriber_id.label("id"),
        participants.c.roles,
        participants.c.status,
        wallet_profiles,
    )
    .select_from(
        participants.outerjoin(
            wallet_profiles, wallet_profiles.c.subscriber_id == participants.c.subscriber_id
        )
    )
    .where(participants.c.subscriber_id.in_(bindparam("ids", expanding=True)))
)
#: Per database (a new `Database`, as in each test, starts afresh): id -> (when read, wallet).
_REMEMBERED: weakref.WeakKeyDictionary[Database, dict[str, tuple[float, WalletInfo]]] = (
    weakref.WeakKeyDictionary()
)


async def wallet_infos(services: Services, *subscriber_ids: str) -> dict[str, WalletInfo]:
    """Roles, status and fee profile of each participant: remembered, or read in one query."""
    remembered = _REMEMBERED.setdefault(services.db, {})
    now = time.monotonic()
    found: dict[str, WalletInfo] = {}
    missing: list[str] = []
    for subscriber_id in dict.fromkeys(subscriber_ids):
        seen = remembered.get(subscriber_id)
        if seen is not None and now - seen[0] < WALLET_TTL:
            found[subscriber_id] = seen[1]
        else:
            missing.append(subscriber_id)
    if missing:
        async with services.db.read() as conn:
            rows = (await conn.execute(_WALLETS_QUERY, {"ids": missing})).all()
        for row in rows:
            profile = None if row.subscriber_id is None else store._profile(row)
            found[row.id] = WalletInfo(frozenset(row.roles.split()), row.status, profile)
        for subscriber_id in missing:
            remembered[subscriber_id] = (now, found.setdefault(subscriber_id, UNKNOWN_WALLET))
    return found


def forget_wallets(services: Services) -> None:
    """Drop what `wallet_infos` remembers (a test that changes a profile and quotes at once)."""
    _REMEMBERED.pop(services.db, None)
