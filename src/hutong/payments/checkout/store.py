"""Storage of wallets' profiles, acceptance policies, payments, refunds and refusals."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.payments.checkout.acceptance import AcceptanceHistory, AcceptancePolicy, Refusal
from hutong.payments.checkout.states import PaymentState
from hutong.payments.fees import FeeRule, FeeSchedule
from hutong.protocol.declared_time import Correction
from hutong.protocol.errors import NotFoundError, ValidationError
from hutong.store import corrections
from hutong.store.cache import changed, declarations
from hutong.store.corrections import CorrectionRecord
from hutong.store.tables import (
    acceptance_policies,
    merchant_profiles,
    orders,
    participants,
    payment_refunds,
    payment_refusals,
    payments,
    wallet_profiles,
)

#: How `hutong.store.corrections` names acceptance policies.
ACCEPTANCE_KIND = "acceptance_policies"

# -- wallets ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WalletProfile:
    wallet: str
    currencies: list[str]
    fees: FeeSchedule

    def to_dict(self) -> dict[str, Any]:
        return {
            "wallet": self.wallet,
            "currencies": self.currencies,
            "fees": [
                {"kind": rule.kind.value, "bps": rule.bps, "fixed": rule.fixed}
                for rule in self.fees.rules.values()
            ],
        }


async def save_wallet_profile(
    conn: AsyncConnection, wallet: str, currencies: list[str], rules: list[FeeRule], now: datetime
) -> WalletProfile:
    schedule = FeeSchedule(rules, wallet=wallet)  # refuses a kind declared twice
    values = {
        "currencies": json.dumps(currencies),
        "fees": json.dumps({r.kind.value: {"bps": r.bps, "fixed": r.fixed} for r in rules}),
        "updated_at": now,
    }
    found = await conn.scalar(
        select(wallet_profiles.c.subscriber_id).where(wallet_profiles.c.subscriber_id == wallet)
    )
    if found is None:
        await conn.execute(insert(wallet_profiles).values(subscriber_id=wallet, **values))
    else:
        await conn.execute(
            update(wallet_profiles).where(wallet_profiles.c.subscriber_id == wallet).values(values)
        )
    changed(conn, ("wallet_profile", wallet), ("wallets",))
    return WalletProfile(wallet, currencies, schedule)


def _profile(row: Any) -> WalletProfile:
    fees = json.loads(row.fees)
    rules = [FeeRule(kind, spec["bps"], spec["fixed"]) for kind, spec in fees.items()]
    return WalletProfile(row.subscriber_id, json.loads(row.currencies), FeeSchedule(rules))


async def wallet_profile(conn: AsyncConnection, wallet: str) -> WalletProfile | None:
    """The wallet's declared profile (cached: `hutong.store.cache`)."""
    return await declarations(conn).get(
        ("wallet_profile", wallet), lambda: _load_wallet_profile(conn, wallet)
    )


async def _load_wallet_profile(conn: AsyncConnection, wallet: str) -> WalletProfile | None:
    row = (
        await conn.execute(select(wallet_profiles).where(wallet_profiles.c.subscriber_id == wallet))
    ).first()
    return None if row is None else _profile(row)


async def registered_wallets(conn: AsyncConnection) -> list[str]:
    """Active wallets that declared a profile, by id: what a buyer could choose from.

    Cached (`hutong.store.cache`): a status change or a new profile forgets it.
    """
    return list(await declarations(conn).get(("wallets",), lambda: _load_wallets(conn)))


async def _load_wallets(conn: AsyncConnection) -> tuple[str, ...]:
    query = (
        select(wallet_profiles.c.subscriber_id)
        .join(participants, participants.c.subscriber_id == wallet_profiles.c.subscriber_id)
        .where(participants.c.status == "active")
        .order_by(wallet_profiles.c.subscriber_id)
    )
    return tuple((await conn.execute(query)).scalars())


async def declared_home(conn: AsyncConnection, merchant: str) -> str | None:
    """The merchant's declared home platform, if any (cached: `hutong.store.cache`)."""

    async def load() -> str | None:
        found = await conn.scalar(
            select(merchant_profiles.c.home_platform).where(
                merchant_profiles.c.subscriber_id == merchant
            )
        )
        return None if found is None else str(found)

    return await declarations(conn).get(("home_platform", merchant), load)


async def home_platform(conn: AsyncConnection, merchant: str) -> str:
    """The home platform of a merchant a path or query names, or 404 ``unknown_merchant``."""
    platform = await declared_home(conn, merchant)
    if platform is None:
        raise NotFoundError(_no_profile(merchant), code="unknown_merchant")
    return platform


async def named_merchant_home(conn: AsyncConnection, merchant: str) -> str:
    """The home platform of a merchant a request's body names, or 422 ``no_such_merchant``:
    naming one that does not exist is the body's mistake, as at order intake."""
    platform = await declared_home(conn, merchant)
    if platform is None:
        raise ValidationError(_no_profile(merchant), code="no_such_merchant")
    return platform


def _no_profile(merchant: str) -> str:
    return f"{merchant} has no merchant profile (its home platform is unknown)"


# -- acceptance policies ----------------------------------------------------------------


def _policy_rule(policy: AcceptancePolicy) -> str:
    return json.dumps(
        {
            "accepts": None if policy.accepts is None else sorted(policy.accepts),
            "refused": dict(policy.refused),
            "note": policy.note,
        },
        ensure_ascii=False,
    )


async def acceptance_history(conn: AsyncConnection, platform: str) -> AcceptanceHistory:
    """The platform's policy versions, cached (`hutong.store.cache`): never declare on it."""
    return await declarations(conn).get(
        ("acceptance", platform), lambda: _load_acceptance(conn, platform)
    )


async def _load_acceptance(conn: AsyncConnection, platform: str) -> AcceptanceHistory:
    rows = (
        await conn.execute(
            select(acceptance_policies)
            .where(acceptance_policies.c.platform == platform)
            .order_by(acceptance_policies.c.version)
        )
    ).all()
    history = AcceptanceHistory(platform)
    for row in rows:
        rule = json.loads(row.rule)
        history.declare(
            AcceptancePolicy(
                platform=platform,
                valid_from=row.valid_from,
                accepts=None if rule["accepts"] is None else frozenset(rule["accepts"]),
                refused=rule["refused"],
                declared_at=row.declared_at.date(),
                version=row.version,
                note=rule.get("note", ""),
            )
        )
    return history


async def declare_acceptance(
    conn: AsyncConnection,
    policy: AcceptancePolicy,
    now: datetime,
    *,
    correction: Correction | None = None,
) -> AcceptancePolicy:
    """Append `policy` as the platform's next version (the history checks it first).

    It is declared `now` (whatever `declared_at` it carries) and takes effect
    on that day or later, unless it is a `correction` (`hutong.store.corrections`),
    filed beside it for the history to show.
    """
    corrections.admit(policy.valid_from, now, correction)
    history = await _load_acceptance(conn, policy.platform)
    stored = history.declare(replace(policy, declared_at=now.date()))
    changed(conn, ("acceptance", policy.platform))
    await conn.execute(
        insert(acceptance_policies).values(
            platform=stored.platform,
            version=stored.version,
            rule=_policy_rule(stored),
            valid_from=stored.valid_from,
            declared_at=now,
        )
    )
    await corrections.record(
        conn,
        kind=ACCEPTANCE_KIND,
        owner=stored.platform,
        version=stored.version,
        valid_from=stored.valid_from,
        correction=correction,
        declared_by=stored.platform,
        now=now,
    )
    return stored


async def acceptance_corrections(
    conn: AsyncConnection, platform: str
) -> dict[int, CorrectionRecord]:
    """The platform's back-dated acceptance versions, by version."""
    return await corrections.corrections_of(conn, ACCEPTANCE_KIND, platform)


async def record_refusals(
    conn: AsyncConnection, refusals: list[Refusal], subject: str, now: datetime
) -> None:
    if refusals:
        await conn.execute(
            insert(payment_refusals),
            [
                {
                    "by": r.by,
                    "wallet": r.wallet,
                    "subject": subject,
                    "reason": r.reason,
                    "policy_version": r.version,
                    "since": r.since,
                    "created_at": now,
                }
                for r in refusals
            ],
        )


async def refusal_count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(payment_refusals)) or 0)


# -- payments ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentRow:
    id: str
    kind: str
    created_by: str
    host: str
    merchant: str
    merchant_platform: str
    wallet: str
    payer: str
    amount: int
    state: PaymentState
    captured: int
    refunded: int
    fee: int
    fee_returned: int
    hold_seconds: int
    expires_at: datetime | None
    reference: str
    created_at: datetime
    updated_at: datetime
    #: `payments.other_wallet_asked` (never shown: a wallet learns nothing of another's ask).
    other_wallet_asked: str = ""

    @property
    def parties(self) -> set[str]:
        """Who may act on the payment (the wallet only answers the switch's calls)."""
        return {self.created_by, self.host, self.merchant, self.merchant_platform}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state.value,
            "host": self.host,
            "merchant": self.merchant,
            "merchant_platform": self.merchant_platform,
            "wallet": self.wallet or None,
            "amount": self.amount,
            "captured": self.captured,
            "refunded": self.refunded,
            "fee": self.fee,
            "fee_returned": self.fee_returned,
            "reference": self.reference,
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def _payment(row: Any) -> PaymentRow:
    return payment_of(row._mapping)


def payment_of(columns: Mapping[str, Any]) -> PaymentRow:
    """The payment whose `payments` columns are `columns` (by name)."""
    values = dict(columns)
    values["state"] = PaymentState(values["state"])
    return PaymentRow(**values)


async def insert_payment(conn: AsyncConnection, payment: PaymentRow) -> None:
    values = {name: getattr(payment, name) for name in PaymentRow.__dataclass_fields__}
    values["state"] = payment.state.value
    await conn.execute(insert(payments), values)


async def get_payment(
    conn: AsyncConnection, payment_id: str, *, lock: bool = False
) -> PaymentRow | None:
    query = select(payments).where(payments.c.id == payment_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else _payment(row)


async def require_payment(
    conn: AsyncConnection, payment_id: str, *, lock: bool = False
) -> PaymentRow:
    payment = await get_payment(conn, payment_id, lock=lock)
    if payment is None:
        raise NotFoundError(f"no payment {payment_id}", code="unknown_payment")
    return payment


async def update_payment(conn: AsyncConnection, payment_id: str, **values: Any) -> None:
    if isinstance(values.get("state"), PaymentState):
        values["state"] = values["state"].value
    await conn.execute(update(payments).where(payments.c.id == payment_id).values(values))


async def move_payment(
    conn: AsyncConnection,
    payment_id: str,
    was: PaymentState,
    *,
    unless: ColumnElement[bool] | None = None,
    **values: Any,
) -> bool:
    """Update the payment only if it is still in state `was` (locking its row); whether it was.

    The read-then-lock of a payment, in one statement: a step decided on a
    payment read in state `was` holds while the row is still in that state
    and nothing the step decides on changes within it. `unless`: a condition
    that also leaves the row as it is.
    """
    if isinstance(values.get("state"), PaymentState):
        values["state"] = values["state"].value
    query = update(payments).where(payments.c.id == payment_id, payments.c.state == was.value)
    if unless is not None:
        query = query.where(~unless)
    done = await conn.execute(query.values(values))
    return bool(done.rowcount == 1)


async def due_payments(conn: AsyncConnection, now: datetime, limit: int = 200) -> list[str]:
    """Payments whose deadline passed while created or authorized."""
    query = (
        select(payments.c.id)
        .where(
            payments.c.state.in_([PaymentState.CREATED.value, PaymentState.AUTHORIZED.value]),
            payments.c.expires_at <= now,
        )
        .order_by(payments.c.expires_at)
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())


async def order_of_payment(conn: AsyncConnection, payment: PaymentRow) -> str | None:
    """The order whose payment this is, if any.

    An order's payment carries the order's id as its reference, and the order
    names the payment: read by the order's key, not by a scan of payment ids.
    """
    found = await conn.execute(
        select(orders.c.id).where(
            orders.c.id == payment.reference, orders.c.payment_id == payment.id
        )
    )
    return found.scalar_one_or_none()


async def find_refund(conn: AsyncConnection, payment_id: str, refund_id: str) -> int | None:
    amount = await conn.scalar(
        select(payment_refunds.c.amount).where(
            payment_refunds.c.payment_id == payment_id, payment_refunds.c.refund_id == refund_id
        )
    )
    return None if amount is None else int(amount)


async def insert_refund(
    conn: AsyncConnection,
    payment_id: str,
    refund_id: str,
    amount: int,
    fee_returned: int,
    now: datetime,
) -> None:
    await conn.execute(
        insert(payment_refunds),
        {
            "payment_id": payment_id,
            "refund_id": refund_id,
            "amount": amount,
            "fee_returned": fee_returned,
            "created_at": now,
        },
    )


async def list_payments(
    conn: AsyncConnection, *, party: str | None = None, limit: int = 100
) -> list[PaymentRow]:
    query = select(payments).order_by(payments.c.created_at.desc()).limit(limit)
    if party is not None:
        query = query.where(
            (payments.c.host == party)
            | (payments.c.merchant == party)
            | (payments.c.merchant_platform == party)
            | (payments.c.wallet == party)
            | (payments.c.created_by == party)
        )
    return [_payment(row) for row in (await conn.execute(query)).all()]
