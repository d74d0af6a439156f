"""Wallet fee schedules and wallet-to-wallet transfer quotes, exact to the fen.

Pure code, no I/O, no clock. A wallet declares one `FeeRule` per kind of
payment it serves: basis points of the amount (1 bp = 0.01%) plus a fixed
number of fen. The fee on an amount is

    min(amount, amount * bps // 10_000 + fixed)

rounded down (the payer is never charged a fraction of a fen) and never above
the amount itself, so a fee can never turn a payment negative. Amounts are
integer fen; floats, bools and negative numbers are refused (``invalid_amount``).

A kind the wallet has not declared is refused (``fee_not_declared``) rather
than read as free: a wallet that declared no transfer fee has not said it
serves transfers, and a missing rule should never move money silently. A
wallet that charges nothing declares ``FeeRule(kind, 0, 0)``.

Transfer quotes
---------------
The payer's wallet charges its transfer fee on top of the amount and the
payee's wallet takes its fee out of what arrives::

    total_debit = amount + payer_fee     (what leaves the payer's balance)
    credited    = amount - payee_fee     (what lands in the payee's balance)
    total_debit - credited == payer_fee + payee_fee

A quote carries its deadline (``now + ttl`` when ``now`` is given); the
transfer must be reserved before it (see `hutong.payments.transfers.states`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from hutong.payments.rules import MAX_AMOUNT, PaymentError, is_amount

BPS_WHOLE = 10_000
#: How long a transfer quote holds unless the caller says otherwise.
DEFAULT_QUOTE_TTL = timedelta(minutes=5)


class PaymentKind(StrEnum):
    """What a fee is charged on."""

    ORDER = "order"
    PAY_FOR_ME = "pay_for_me"
    TRANSFER = "transfer"


def _kind(kind: PaymentKind | str) -> PaymentKind:
    try:
        return PaymentKind(kind)
    except ValueError:
        raise PaymentError("invalid_fee", f"unknown payment kind {kind!r}") from None


def _check_amount(amount: object, what: str = "amount") -> int:
    if not is_amount(amount):
        raise PaymentError("invalid_amount", f"{what} must be whole fen >= 0, not {amount!r}")
    return amount


@dataclass(frozen=True, slots=True)
class FeeRule:
    """A wallet's fee on one kind of payment: `bps` basis points plus `fixed` fen."""

    kind: PaymentKind
    bps: int = 0
    fixed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _kind(self.kind))
        bps = _check_amount(self.bps, "bps")
        if bps > BPS_WHOLE:
            raise PaymentError("invalid_fee", f"bps is at most {BPS_WHOLE}, not {bps}")
        _check_amount(self.fixed, "fixed")

    def fee(self, amount: int) -> int:
        """The fee on `amount` fen: floor of the basis points plus fixed, at most `amount`."""
        amount = _check_amount(amount)
        return min(amount, amount * self.bps // BPS_WHOLE + self.fixed)


class FeeSchedule:
    """A wallet's declared fee rules, one per payment kind."""

    __slots__ = ("_rules", "wallet")

    def __init__(self, rules: Iterable[FeeRule], *, wallet: str = "") -> None:
        table: dict[PaymentKind, FeeRule] = {}
        for rule in rules:
            if rule.kind in table:
                raise PaymentError(
                    "invalid_fee", f"{wallet or 'a wallet'} declares {rule.kind} twice"
                )
            table[rule.kind] = rule
        self.wallet = wallet
        self._rules: Mapping[PaymentKind, FeeRule] = MappingProxyType(table)

    def __repr__(self) -> str:
        return f"FeeSchedule({list(self._rules.values())!r}, wallet={self.wallet!r})"

    @property
    def rules(self) -> Mapping[PaymentKind, FeeRule]:
        return self._rules

    def serves(self, kind: PaymentKind) -> bool:
        return _kind(kind) in self._rules

    def fee(self, kind: PaymentKind, amount: int) -> int:
        """The fee this wallet charges on `amount` fen of `kind`."""
        rule = self._rules.get(_kind(kind))
        if rule is None:
            who = self.wallet or "this wallet"
            raise PaymentError("fee_not_declared", f"{who} declares no fee for {kind} payments")
        return rule.fee(amount)


@dataclass(frozen=True, slots=True)
class TransferQuote:
    """What a wallet-to-wallet transfer costs and delivers, in fen."""

    amount: int
    payer_fee: int
    payee_fee: int
    total_debit: int
    credited: int
    expires_at: datetime | None = None

    @property
    def fees(self) -> int:
        return self.payer_fee + self.payee_fee


def quote_transfer(
    amount: int,
    payer_schedule: FeeSchedule,
    payee_schedule: FeeSchedule,
    *,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_QUOTE_TTL,
) -> TransferQuote:
    """Quote sending `amount` fen: the payer pays its fee on top, the payee's comes out."""
    amount = _check_amount(amount)
    if amount == 0:
        raise PaymentError("invalid_amount", "a transfer moves at least 1 fen")
    if ttl <= timedelta(0):
        raise PaymentError("invalid_quote", "a quote's time to live must be positive")
    payer_fee = payer_schedule.fee(PaymentKind.TRANSFER, amount)
    payee_fee = payee_schedule.fee(PaymentKind.TRANSFER, amount)
    if amount + payer_fee > MAX_AMOUNT:
        raise PaymentError("invalid_amount", f"{amount} plus a fee of {payer_fee} is too large")
    return TransferQuote(
        amount=amount,
        payer_fee=payer_fee,
        payee_fee=payee_fee,
        total_debit=amount + payer_fee,
        credited=amount - payee_fee,
        expires_at=None if now is None else now + ttl,
    )
