"""A program's declared refusal of another program's exchanges: versions, stance, the refusal.

A points program (e.g. Tencent Video) may declare that it refuses exchanges
with a named program (88VIP), as Tencent Video publicly denied 88VIP's
announced arrangement in 2022. Each declaration is a version of the
program's own history: ``refuses`` true or false toward one counterparty
from ``valid_from`` on, with the program's public ``statement``. The house's
declaring-day rule holds (`hutong.protocol.declared_time`): a plain version
takes effect on its declaring day or later; a back-dated one is a
correction with its reason, filed in ``policy_corrections``.

The stance of program P toward Q on day d is the version about Q with the
greatest ``(valid_from, version)`` among those with ``valid_from <= d``; P
refuses Q's exchanges on d when that version says so. An exchange asked of
P by Q on such a day is refused (``exchange_refused_by_program``) with the
declaration in force in its answer; nothing is held.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.payments.points.programs import require_program
from hutong.protocol.declared_time import MAX_CORRECTION_REASON, Correction
from hutong.protocol.errors import ConflictError, ValidationError
from hutong.protocol.ids import new_id
from hutong.registry.models import Role, Status
from hutong.registry.service import get_participant
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services
from hutong.store.corrections import CorrectionRecord, admit, corrections_of, record
from hutong.store.tables import points_refusals

__all__ = [
    "KIND",
    "Declaration",
    "NewDeclaration",
    "declarations",
    "declare",
    "refusal_in_force",
    "refused_by",
]

#: The kind under which back-dated versions are filed in ``policy_corrections``.
KIND = "points_refusals"
#: A statement is a sentence for the history, like a correction's reason.
MAX_STATEMENT = MAX_CORRECTION_REASON


@dataclass(frozen=True, slots=True)
class Declaration:
    """One version: `program` refuses (or not) exchanges with `counterparty` from `valid_from`."""

    id: str
    program: str
    version: int
    counterparty: str
    refuses: bool
    statement: str
    valid_from: date
    declared_at: datetime
    correction: CorrectionRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "program": self.program,
            "version": self.version,
            "counterparty": self.counterparty,
            "refuses": self.refuses,
            "statement": self.statement,
            "valid_from": self.valid_from.isoformat(),
            "declared_at": self.declared_at.isoformat(),
            "correction": None if self.correction is None else self.correction.to_dict(),
        }


#: The stored columns (every field but the correction, which lives in ``policy_corrections``).
_COLUMNS = tuple(column.name for column in points_refusals.columns)


@dataclass(frozen=True, slots=True)
class NewDeclaration:
    counterparty: str
    refuses: bool
    statement: str
    valid_from: date
    correction: Correction | None = None


def _row(row: Any, corrections: dict[int, CorrectionRecord]) -> Declaration:
    fields = dict(row._mapping)
    return Declaration(**fields, correction=corrections.get(fields["version"]))


async def _check(services: Services, sender: str, spec: NewDeclaration) -> None:
    await require_program(services, sender)
    if spec.counterparty == sender:
        raise ValidationError(
            "a program declares its stance toward another program", code="invalid_declaration"
        )
    if not spec.statement.strip() or len(spec.statement) > MAX_STATEMENT:
        raise ValidationError(
            f"the statement is 1 to {MAX_STATEMENT} characters", code="invalid_declaration"
        )
    async with services.db.read() as conn:
        partner = await get_participant(conn, spec.counterparty)
    if partner is None or not partner.has_role(Role.PROGRAM) or partner.status is not Status.ACTIVE:
        raise ValidationError(
            f"{spec.counterparty} is not an active membership program", code="unknown_program"
        )
    admit(spec.valid_from, services.clock(), spec.correction)


async def declare(services: Services, sender: str, spec: NewDeclaration) -> Write[Declaration]:
    """`sender` declares the next version of its stance toward `spec.counterparty`."""
    await _check(services, sender, spec)

    async def write(conn: AsyncConnection) -> Declaration:
        now = services.clock()
        admit(spec.valid_from, now, spec.correction)
        latest = await conn.scalar(
            select(func.max(points_refusals.c.version)).where(points_refusals.c.program == sender)
        )
        version = (latest or 0) + 1
        stored = Declaration(
            id=new_id("ptr"),
            program=sender,
            version=version,
            counterparty=spec.counterparty,
            refuses=spec.refuses,
            statement=spec.statement.strip(),
            valid_from=spec.valid_from,
            declared_at=now,
        )
        fields = {name: getattr(stored, name) for name in _COLUMNS}
        await conn.execute(insert(points_refusals), fields)
        correction = await record(
            conn,
            kind=KIND,
            owner=sender,
            version=version,
            valid_from=spec.valid_from,
            correction=spec.correction,
            declared_by=sender,
            now=now,
        )
        return replace(stored, correction=correction)

    return write


async def declarations(
    conn: AsyncConnection,
    program: str,
    *,
    counterparty: str | None = None,
    at: date | None = None,
) -> list[Declaration]:
    """`program`'s versions in declaring order; with `at`, only those in force that day.

    In force on `at`: per counterparty, the version with the greatest
    ``(valid_from, version)`` among ``valid_from <= at``.
    """
    query = select(points_refusals).where(points_refusals.c.program == program)
    if counterparty is not None:
        query = query.where(points_refusals.c.counterparty == counterparty)
    if at is not None:
        query = query.where(points_refusals.c.valid_from <= at)
    rows = (await conn.execute(query.order_by(points_refusals.c.version))).all()
    corrections = await corrections_of(conn, KIND, program)
    versions = [_row(row, corrections) for row in rows]
    if at is None:
        return versions
    in_force: dict[str, Declaration] = {}
    for version in sorted(versions, key=lambda d: (d.valid_from, d.version)):
        in_force[version.counterparty] = version
    return sorted(in_force.values(), key=lambda d: d.version)


async def refusal_in_force(
    conn: AsyncConnection, program: str, counterparty: str, day: date
) -> Declaration | None:
    """The declaration by which `program` refuses `counterparty`'s exchanges on `day`, if any."""
    query = (
        select(points_refusals)
        .where(
            and_(
                points_refusals.c.program == program,
                points_refusals.c.counterparty == counterparty,
                points_refusals.c.valid_from <= day,
            )
        )
        .order_by(points_refusals.c.valid_from.desc(), points_refusals.c.version.desc())
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    if row is None or not row.refuses:
        return None
    return _row(row, await corrections_of(conn, KIND, program))


def refused_by(declaration: Declaration) -> ConflictError:
    """The refusal of an exchange, naming the declaration that refuses it."""
    return ConflictError(
        f"{declaration.program} refuses exchanges with {declaration.counterparty} by its "
        f"declaration {declaration.id} (version {declaration.version}, from "
        f"{declaration.valid_from.isoformat()}): {declaration.statement}",
        code="exchange_refused_by_program",
    )
