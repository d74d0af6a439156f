"""What the API and the CLI ask of the auditor beyond a run: one finding's records."""

from __future__ import annotations

from dataclasses import dataclass

from hutong.audit.findings import Finding, window_of_id
from hutong.audit.records import read_records
from hutong.audit.run import audit, find
from hutong.store.db import Database

__all__ = ["EvidencePage", "evidence_of"]


@dataclass(frozen=True, slots=True)
class EvidencePage:
    finding: Finding
    total: int
    offset: int
    records: list[dict[str, object]]


async def evidence_of(
    db: Database, finding: str, *, offset: int = 0, limit: int = 50
) -> EvidencePage:
    """The records behind `finding`: its window is in its id, the run is deterministic."""
    window = window_of_id(finding)
    found = find(await audit(db, window), finding)
    async with db.read() as conn:
        page = await read_records(conn, found.evidence, window, offset=offset, limit=limit)
    return EvidencePage(found, page.total, offset, page.records)
