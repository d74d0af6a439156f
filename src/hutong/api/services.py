"""What every route needs: settings, the database, the clock, the switch's key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hutong.config import Settings
from hutong.protocol.signing import Signer
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

    def signer(self) -> Signer:
        if self.switch_signer is None:
            raise RuntimeError("the switch key has not been loaded yet")
        return self.switch_signer
