"""Storing and reading merchant terms: one row per version, never updated."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.terms.rules import MerchantTerms, check_terms
from hutong.protocol.declared_time import Correction
from hutong.protocol.errors import ValidationError
from hutong.protocol.justifications import Justification, justification_of
from hutong.registry.models import Role
from hutong.registry.service import get_participant
from hutong.store import corrections
from hutong.store.tables import merchant_terms, policy_corrections

__all__ = ["apply_terms", "terms_history"]


def _terms(row: Any) -> MerchantTerms:
    return MerchantTerms(
        platform=row.platform,
        merchant=row.merchant,
        version=row.version,
        commission_bps=row.commission_bps,
        promotion_eligible=row.promotion_eligible,
        listed=row.listed,
        valid_from=row.valid_from,
        reason=row.reason,
        justification=justification_of(row.justification, row.justification_ref),
        declared_at=row.declared_at,
        correction=row.correction,
    )


def owner_of(platform: str, merchant: str) -> str:
    """How a version's correction names whose terms it corrects."""
    return f"{platform}/{merchant}"


_OWNER = merchant_terms.c.platform + "/" + merchant_terms.c.merchant


async def apply_terms(
    conn: AsyncConnection,
    *,
    platform: str,
    merchant: str,
    commission_bps: int,
    promotion_eligible: bool,
    listed: bool,
    valid_from: date,
    reason: str,
    justification: Justification | None,
    now: datetime,
    correction: Correction | None = None,
) -> MerchantTerms:
    """Record the next version of what `platform` applies to `merchant`.

    A merchant nobody registered (or a participant that is no merchant) is the
    body's mistake: 422 ``no_such_merchant``, as order intake and payments
    answer (``unknown_merchant`` is the 404 of a path or query naming one).
    Its valid_from is the declaring day or later, unless it is a `correction`,
    filed beside it (`hutong.store.corrections`) for the history to show.
    """
    reason = check_terms(commission_bps, reason)
    corrections.admit(valid_from, now, correction)
    found = await get_participant(conn, merchant)
    if found is None or not found.has_role(Role.MERCHANT):
        raise ValidationError(f"{merchant} is not a registered merchant", code="no_such_merchant")
    latest = await conn.scalar(
        select(func.max(merchant_terms.c.version)).where(
            merchant_terms.c.platform == platform, merchant_terms.c.merchant == merchant
        )
    )
    terms = MerchantTerms(
        platform=platform,
        merchant=merchant,
        version=(latest or 0) + 1,
        commission_bps=commission_bps,
        promotion_eligible=promotion_eligible,
        listed=listed,
        valid_from=valid_from,
        reason=reason,
        justification=justification,
        declared_at=now,
        correction=None if correction is None else correction.reason,
    )
    await conn.execute(
        insert(merchant_terms),
        {
            "platform": platform,
            "merchant": merchant,
            "version": terms.version,
            "commission_bps": commission_bps,
            "promotion_eligible": promotion_eligible,
            "listed": listed,
            "valid_from": valid_from,
            "reason": reason,
            "justification": justification.code.value if justification else None,
            "justification_ref": justification.reference if justification else None,
            "declared_at": now,
        },
    )
    await corrections.record(
        conn,
        kind=merchant_terms.name,
        owner=owner_of(platform, merchant),
        version=terms.version,
        valid_from=valid_from,
        correction=correction,
        declared_by=platform,
        now=now,
    )
    return terms


async def terms_history(
    conn: AsyncConnection,
    *,
    platform: str | None = None,
    merchant: str | None = None,
    limit: int = 1000,
) -> list[MerchantTerms]:
    """Versions, by platform, merchant and version; optionally of one platform and/or merchant."""
    corrected = and_(
        policy_corrections.c.kind == merchant_terms.name,
        policy_corrections.c.owner == _OWNER,
        policy_corrections.c.version == merchant_terms.c.version,
    )
    query = (
        select(merchant_terms, policy_corrections.c.reason.label("correction"))
        .select_from(merchant_terms.outerjoin(policy_corrections, corrected))
        .order_by(merchant_terms.c.platform, merchant_terms.c.merchant, merchant_terms.c.version)
        .limit(limit)
    )
    if platform is not None:
        query = query.where(merchant_terms.c.platform == platform)
    if merchant is not None:
        query = query.where(merchant_terms.c.merchant == merchant)
    return [_terms(row) for row in (await conn.execute(query)).all()]
