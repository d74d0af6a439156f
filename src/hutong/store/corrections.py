"""Back-dated policy versions on record: the one gate every policy declaration passes.

Every kind of declared policy stores its versions in a table of its own; each
store calls `admit` before appending a version (the declaring-day rule of
`hutong.protocol.declared_time`, nothing written when it refuses) and
`record` after, which files a correction's row here: the kind, the owner and
version it marks, the valid_from it claims, the reason, who declared it and
when. History listings join `corrections_of` onto their versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.protocol.declared_time import Correction, check_valid_from
from hutong.store.tables import policy_corrections

__all__ = ["CorrectionRecord", "admit", "corrections_of", "record"]


@dataclass(frozen=True, slots=True)
class CorrectionRecord:
    """A version that was declared back-dated, and why."""

    kind: str
    owner: str
    version: int
    valid_from: date
    reason: str
    declared_by: str
    declared_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid_from": self.valid_from.isoformat(),
            "reason": self.reason,
            "declared_by": self.declared_by,
            "declared_at": self.declared_at.isoformat(),
        }


def admit(valid_from: date, now: datetime, correction: Correction | None) -> None:
    """Refuse a version the declaring-day rule refuses (before anything is written)."""
    check_valid_from(valid_from, now, correction)


async def record(
    conn: AsyncConnection,
    *,
    kind: str,
    owner: str,
    version: int,
    valid_from: date,
    correction: Correction | None,
    declared_by: str,
    now: datetime,
) -> CorrectionRecord | None:
    """File the correction of a version just stored (nothing for a plain declaration)."""
    if correction is None:
        return None
    row = CorrectionRecord(
        kind, owner, version, valid_from, correction.reason, declared_by or owner, now
    )
    await conn.execute(
        insert(policy_corrections),
        {
            "kind": kind,
            "owner": owner,
            "version": version,
            "valid_from": valid_from,
            "reason": row.reason,
            "declared_by": row.declared_by,
            "declared_at": now,
        },
    )
    return row


async def corrections_of(
    conn: AsyncConnection, kind: str, owner: str
) -> dict[int, CorrectionRecord]:
    """The corrections among `owner`'s versions of `kind`, by version."""
    rows = await conn.execute(
        select(policy_corrections).where(
            policy_corrections.c.kind == kind, policy_corrections.c.owner == owner
        )
    )
    return {
        r.version: CorrectionRecord(
            r.kind, r.owner, r.version, r.valid_from, r.reason, r.declared_by, r.declared_at
        )
        for r in rows
    }
