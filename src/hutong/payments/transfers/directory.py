"""The alias directory's storage: wallets publish their users' aliases, payers look them up.

The rules are those of `hutong.payments.transfers.aliases.AliasDirectory` (only the
owning wallet registers or removes an entry, one account per alias within a
wallet, the same entry again is a no-op); each call loads the rows of one
alias into an `AliasDirectory`, applies the rule there, and writes what
changed. A row holds the alias's keyed digest and masked form, never a full
phone number.

The digest key is derived from the switch's key (like the pay-for-me share
key), so it survives restarts and is never stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.payments.transfers.aliases import (
    Alias,
    AliasDirectory,
    AliasEntry,
    alias_digest,
    normalize_alias,
)
from hutong.protocol.errors import NotFoundError
from hutong.runtime.services import Services
from hutong.store.tables import aliases


def directory_key(services: Services) -> bytes:
    """The key of alias digests: the directory's own, derived from the switch's key."""
    return hashlib.blake2b(services.share_key(), digest_size=32, person=b"hutong-alias").digest()


def entry_out(entry: AliasEntry) -> dict[str, Any]:
    """An entry as answers show it: masked, never the full phone number."""
    return {
        "kind": entry.kind.value,
        "masked": entry.masked,
        "wallet": entry.wallet,
        "account": entry.account,
    }


async def _loaded(conn: AsyncConnection, key: bytes, alias: Alias) -> AliasDirectory:
    """A directory holding every wallet's stored entry for `alias`."""
    directory = AliasDirectory(key)
    rows = (
        await conn.execute(
            select(aliases.c.wallet, aliases.c.account).where(
                aliases.c.digest == alias_digest(alias, key)
            )
        )
    ).all()
    for row in rows:
        directory.register(alias, wallet=row.wallet, account=row.account, acting=row.wallet)
    return directory


async def register(
    conn: AsyncConnection,
    key: bytes,
    alias: Alias,
    *,
    wallet: str,
    account: str,
    acting: str,
    now: datetime,
) -> tuple[AliasEntry, bool]:
    """`acting` publishes `alias` for its user `account`; (the entry, whether it is new)."""
    directory = await _loaded(conn, key, alias)
    before = {e.wallet: e for e in directory.lookup(alias)}
    entry = directory.register(alias, wallet=wallet, account=account, acting=acting)
    if before.get(wallet) == entry:
        return entry, False
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(aliases),
                {
                    "digest": entry.digest,
                    "wallet": entry.wallet,
                    "kind": entry.kind.value,
                    "masked": entry.masked,
                    "account": entry.account,
                    "created_at": now,
                },
            )
    except IntegrityError:  # registered at the same moment by another request
        again = await _loaded(conn, key, alias)
        entry = again.register(alias, wallet=wallet, account=account, acting=acting)
        return entry, False
    return entry, True


async def remove(
    conn: AsyncConnection, key: bytes, alias: Alias, *, wallet: str, acting: str
) -> AliasEntry:
    """`acting` removes its own entry for `alias` (``alias_not_found`` when there is none)."""
    directory = await _loaded(conn, key, alias)
    entry = directory.remove(alias, wallet=wallet, acting=acting)
    await conn.execute(
        delete(aliases).where(aliases.c.digest == entry.digest, aliases.c.wallet == entry.wallet)
    )
    return entry


async def lookup(conn: AsyncConnection, key: bytes, alias: Alias) -> tuple[AliasEntry, ...]:
    """Every wallet's entry for `alias`, by wallet id (empty when none published it)."""
    return (await _loaded(conn, key, alias)).lookup(alias)


# -- the service: what the routes call -------------------------------------------------------


def parse(kind: str, value: str) -> Alias:
    """The normalized alias, or ``invalid_alias`` (which never echoes the value)."""
    return normalize_alias(kind, value)


async def find(services: Services, alias: Alias) -> tuple[AliasEntry, ...]:
    """Every wallet's entry for `alias`; 404 ``alias_not_found`` when none published it."""
    async with services.db.read() as conn:
        entries = await lookup(conn, directory_key(services), alias)
    if not entries:
        raise NotFoundError(f"no wallet has published {alias}", code="alias_not_found")
    return entries
