"""The alias directory's storage: wallets publish their users' aliases, payers look them up.

The rules are those of `hutong.payments.transfers.aliases.AliasDirectory` (only the
owning wallet registers or removes an entry, one account per alias within a
wallet, the same entry again is a no-op); each call loads the rows of one
alias into an `AliasDirectory`, applies the rule there, and writes what
changed. A row holds the alias's keyed digest and masked form, never a full
phone number.

The digest key is derived from the switch's key (like the pay-for-me share
key), so it survives restarts and is never stored.

A lookup answers, for each wallet, a payee token (`payee_token`) instead of
the wallet's account reference: the alias's digest and a MAC of (digest,
wallet, account) under another key derived from the switch's. The switch maps
it back (`by_token`) when a quote names the payee by it; it stops working
when the entry is removed or names another account. Each wallet's lookups
are limited (`find`, `hutong.runtime.rate_limit`): the directory must not be
walked number by number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.payments.transfers.aliases import (
    Alias,
    AliasDirectory,
    AliasEntry,
    AliasKind,
    alias_digest,
    normalize_alias,
)
from hutong.protocol.errors import NotFoundError, RateLimitedError, ValidationError
from hutong.runtime import rate_limit
from hutong.runtime.metrics import ALIAS_LOOKUPS_LIMITED
from hutong.runtime.services import Services
from hutong.store.tables import aliases


def directory_key(services: Services) -> bytes:
    """The key of alias digests: the directory's own, derived from the switch's key."""
    return hashlib.blake2b(services.share_key(), digest_size=32, person=b"hutong-alias").digest()


def entry_out(entry: AliasEntry) -> dict[str, Any]:
    """An entry as its own wallet sees it: masked, never the full phone number."""
    return {
        "kind": entry.kind.value,
        "masked": entry.masked,
        "wallet": entry.wallet,
        "account": entry.account,
    }


def found_out(key: bytes, entry: AliasEntry) -> dict[str, Any]:
    """An entry as a lookup shows it to other wallets: a payee token, not the account."""
    return {
        "kind": entry.kind.value,
        "masked": entry.masked,
        "wallet": entry.wallet,
        "payee_token": payee_token(key, entry),
    }


# -- payee tokens -------------------------------------------------------------------------

_TOKEN_PREFIX = "pt1_"
_DIGEST_PREFIX = "b2:"
_MAC_SIZE = 16


def _token_mac(key: bytes, digest: str, wallet: str, account: str) -> bytes:
    material = "\x1f".join((digest, wallet, account)).encode()
    token_key = hashlib.blake2b(key, digest_size=32, person=b"hutong-payee").digest()
    return hashlib.blake2b(material, key=token_key, digest_size=_MAC_SIZE).digest()


def payee_token(key: bytes, entry: AliasEntry) -> str:
    """The opaque token that names `entry` (its alias at its wallet, for its account)."""
    digest = bytes.fromhex(entry.digest.removeprefix(_DIGEST_PREFIX))
    mac = _token_mac(key, entry.digest, entry.wallet, entry.account)
    return _TOKEN_PREFIX + base64.urlsafe_b64encode(digest + mac).decode().rstrip("=")


def _token_parts(token: str) -> tuple[str, bytes]:
    """(the alias digest, the MAC) of a token, or ``invalid_payee_token``."""
    body = token.removeprefix(_TOKEN_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if not token.startswith(_TOKEN_PREFIX) or len(raw) != 32 + _MAC_SIZE:
        raise ValidationError("not a payee token from a lookup", code="invalid_payee_token")
    return _DIGEST_PREFIX + raw[:32].hex(), raw[32:]


async def by_token(conn: AsyncConnection, key: bytes, token: str) -> tuple[AliasEntry, ...]:
    """The one entry `token` names (empty when it is gone or names another account now)."""
    digest, mac = _token_parts(token)
    rows = (await conn.execute(select(aliases).where(aliases.c.digest == digest))).all()
    return tuple(
        AliasEntry(row.digest, AliasKind(row.kind), row.masked, row.wallet, row.account)
        for row in rows
        if hmac.compare_digest(mac, _token_mac(key, row.digest, row.wallet, row.account))
    )


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


def lookup_limit(services: Services) -> rate_limit.Limit:
    settings = services.settings
    return rate_limit.Limit(settings.alias_lookups_per_minute, settings.alias_lookup_burst)


async def find(services: Services, wallet: str, alias: Alias) -> tuple[AliasEntry, ...]:
    """Every wallet's entry for `alias`, for `wallet` (one of its limited lookups).

    429 ``rate_limited`` (with the seconds to wait) when `wallet` has spent its
    allowance; 404 ``alias_not_found`` when no wallet published the alias.
    """
    await spend_lookup(services, wallet)
    return await published(services, alias)


async def spend_lookup(services: Services, wallet: str) -> None:
    """One lookup of `wallet`'s allowance, or 429 ``rate_limited`` with the seconds to wait.

    Whatever resolves an alias for a wallet spends it: a lookup, and a quote
    that names the payee by alias (a quote by payee token does not: the token
    came from a lookup that paid).
    """
    async with services.db.transaction() as conn:
        refused = await take_lookup(conn, services, wallet)
    if refused is not None:
        raise refused


async def take_lookup(
    conn: AsyncConnection, services: Services, wallet: str
) -> RateLimitedError | None:
    """In `conn` (a quote's own write): spend one lookup, or the 429 to answer (nothing spent).

    Returned, not raised, so that a quote's write can hand it back without
    failing the group commit it shares.
    """
    wait = await rate_limit.take_alias_lookup(
        conn, wallet, lookup_limit(services), services.clock()
    )
    if not wait:
        return None
    ALIAS_LOOKUPS_LIMITED.inc()
    return RateLimitedError(f"too many alias lookups: try again in {wait} s", retry_after=wait)


async def published(services: Services, alias: Alias) -> tuple[AliasEntry, ...]:
    """Every wallet's entry for `alias`, unlimited (the operator's CLI; wallets use `find`)."""
    async with services.db.read() as conn:
        entries = await lookup(conn, directory_key(services), alias)
    if not entries:
        raise NotFoundError(f"no wallet has published {alias}", code="alias_not_found")
    return entries
