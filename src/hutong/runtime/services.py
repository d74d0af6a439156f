"""What every route needs: settings, the database, the clock, the switch's key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hutong.config import Settings
from hutong.ledger.service import Ledger
from hutong.links.service import Resolver
from hutong.protocol.signing import Signer
from hutong.registry.key_loader import KeyLoader
from hutong.registry.switch_key import load_or_create, share_code_key
from hutong.store.batch import WriteBatcher
from hutong.store.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    clock: Callable[[], datetime] = field(default=utc_now)
    #: Set at start-up once the switch's key is loaded or created.
    switch_signer: Signer | None = None
    switch_public_key: str = ""
    #: Group commit for request writes; made from `db` when not given.
    writer: WriteBatcher | None = None
    #: Batched key lookups for authentication; made from `db` when not given.
    key_loader: KeyLoader | None = None
    #: The ledger's group commit; made from `db` when not given.
    ledger_service: Ledger | None = None
    #: The key of share-code MACs (derived from the switch's key at start-up).
    share_secret: bytes = b""
    #: Link resolution and its batched event log; made from `db` when not given.
    link_resolver: Resolver | None = None
    #: This process's id while its heartbeat runs (`hutong.runtime.heartbeat`):
    #: recorded with each message claim it makes. None: claims carry no
    #: claimer and are taken over only after their lease.
    process_id: str | None = None

    def __post_init__(self) -> None:
        if self.writer is None:
            self.writer = WriteBatcher(self.db, parallel=self.settings.commits_in_flight)
        if self.key_loader is None:
            self.key_loader = KeyLoader(self.db)
        if self.ledger_service is None:
            self.ledger_service = Ledger(self.db, lambda: self.clock())
        if self.link_resolver is None:
            self.link_resolver = Resolver(self.db, lambda: self.clock(), self.share_key)

    async def load_switch_key(self, *, private_key: str = "", key_id: str = "") -> None:
        """Load the switch's key (or create the first one) and what derives from it."""
        key_id, public_key, private = await load_or_create(
            self.db, self.clock(), private_key=private_key, key_id=key_id
        )
        self.switch_signer = Signer(self.settings.switch_id, key_id, private)
        self.switch_public_key = public_key
        self.share_secret = share_code_key(private)

    def share_key(self) -> bytes:
        if not self.share_secret:
            raise RuntimeError("the share-code key has not been derived yet")
        return self.share_secret

    def resolver(self) -> Resolver:
        assert self.link_resolver is not None
        return self.link_resolver

    def ledger(self) -> Ledger:
        assert self.ledger_service is not None
        return self.ledger_service

    def keys(self) -> KeyLoader:
        assert self.key_loader is not None
        return self.key_loader

    def batcher(self) -> WriteBatcher:
        assert self.writer is not None
        return self.writer

    def signer(self) -> Signer:
        if self.switch_signer is None:
            raise RuntimeError("the switch key has not been loaded yet")
        return self.switch_signer
