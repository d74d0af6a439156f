"""Commission schedules, order splits and their reversal, exact to the fen. Pure code.

Nothing here reads a clock, a database or the network: the service finds the
schedule in force, splits the captured amount at completion and posts the legs
this module builds.

Schedules
---------
A host declares a `CommissionSchedule` from its ``valid_from`` day (inclusive):

* the **take rate** it keeps, in basis points (1 bp = 0.01%), by category and by
  `Channel` (how the order came: the host's own store, a cross-platform
  storefront, an external link placement, a creator placement). The rate for
  an order is the first of: ``take_rates[(category, channel)]``,
  ``channel_rates[channel]``, ``default_take_bps``;
* the **creator rate** paid to a creator whose placement brought the order: the
  first of ``creator_rates[category]``, ``default_creator_bps``.

Every rate is an integer from 0 to 10000 (``invalid_rate``), and for every
category and channel the take rate plus the creator rate is at most 10000
(``rates_exceed_whole``): a schedule can never ask for more than the order.
Keeping own-store and external rates side by side in one declaration is what
lets the auditor compare them (Douyin: 5% on its own store, 20% on external
links).

A host's `CommissionHistory` is append-only, like wallet acceptance
(`hutong.payments.checkout.acceptance`): `declare` numbers versions 1, 2, ... and never
edits one; on a day the version in force is the one with the latest
``valid_from`` on or before it (on the same day, the later version). Before
the first version nothing is in force (`in_force` is None) and `split_order`
takes None as "no commission": silence is not a charge.

Splitting an order
------------------
`split_order` divides the captured amount into five parts that add up to it
exactly: the host commission and the creator commission (basis points of the
captured amount, each rounded down), the wallet fee and the carrier fee (fixed
fen, as quoted), and the merchant, who receives the rest, rounding fen
included. Fees larger than what the commissions leave are refused
(``fees_exceed_amount``), never taken out of thin air.

Refunds after completion
------------------------
`reverse_split` says how much of each part a refund takes back. The reversal
is cumulative: what each part has given back after refunds totalling ``r`` is
a function of ``r`` alone, so refunds in any number of steps give back exactly
what one refund of the same total would, and refunding everything gives back
every part in full. Each part's cumulative reversal never decreases (no refund
ever pays a part), never exceeds the part, and is within a fen or so of its
proportional share.

How: the parts are taken in `REVERSAL_ORDER` (the wallet fee first, the
merchant last). The first gives back ``part * r // total`` (rounded down, as
`hutong.payments.legs.fee_returned_after` does, so the two agree); what
remains of ``r`` is divided the same way among the remaining parts, and the
merchant takes what is left. Each step is a floor of a non-decreasing amount,
so every part is monotone, and at ``r == total`` each floor is exact. (Rounding
each part down on its own and giving the merchant "the rest" fails: with a
small merchant part the rest can exceed it, and when two parts round up on
the same fen the rest goes backwards.)

Ledger legs
-----------
`split_legs` moves each non-zero part from the account holding the captured
money (``accounts.source``; by default the merchant's receivable, where
`hutong.payments.legs.capture` leaves it) to the part's account, as one linked
chain: all or nothing. A part whose account is the source moves nothing (the
merchant keeps its part where it is). `reversal_legs` moves a refund's parts
back. Ids derive from the order (and refund), so a retry posts nothing twice.

Accounts: ``h/<host>/commission`` (host commission income),
``c/<creator>/commission`` (the creator's commission), ``l/<carrier>/fees``
(the carrier's fee income), beside `hutong.payments.legs`' ``m/<merchant>/receivable``
and ``w/<wallet>/fees``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from hutong.ledger.models import MAX_AMOUNT, AccountKind, TransferCode, TransferRequest
from hutong.ledger.splits import BPS_WHOLE, Leg, SplitError, split
from hutong.ledger.store import NewAccount
from hutong.payments.legs import CNY, chain, merchant_receivable, wallet_fees
from hutong.protocol.errors import ValidationError

MAX_CATEGORY = 128


class CommissionError(ValidationError):
    """A refusal with a stable ``code``: invalid_rate, fees_exceed_amount, ..."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class Channel(StrEnum):
    """How an order reached the merchant."""

    OWN_STORE = "own_store"  # the host's own merchants, in the host's own store
    STOREFRONT = "storefront"  # a cross-platform storefront (入驻) inside the host
    LINK_PLACEMENT = "link_placement"  # an external product link placed on the host
    CREATOR_PLACEMENT = "creator_placement"  # a creator's placement on the host


def _channel(value: object) -> Channel:
    known = ", ".join(c.value for c in Channel)
    if not isinstance(value, str):
        raise CommissionError("invalid_channel", f"{value!r} is not a channel ({known})")
    try:
        return Channel(value)
    except ValueError:
        raise CommissionError("invalid_channel", f"{value!r} is not a channel ({known})") from None


def _category(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_CATEGORY:
        raise CommissionError(
            "invalid_category", f"a category is a non-blank string of at most {MAX_CATEGORY}"
        )
    return value


def _rate(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= BPS_WHOLE:
        raise CommissionError(
            "invalid_rate", f"{name} must be an integer from 0 to {BPS_WHOLE} (basis points)"
        )
    return value


def _amount(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_AMOUNT:
        raise CommissionError("invalid_amount", f"{name} must be a non-negative integer of fen")
    return value


def _day(name: str, value: object) -> date:
    # datetime is a date subclass but does not compare with date; refuse it early.
    if type(value) is not date:
        raise CommissionError("invalid_schedule", f"{name} must be a datetime.date")
    return value


# -- schedules ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CommissionSchedule:
    """One declaration: the rates `host` charges from `valid_from` on."""

    host: str
    valid_from: date
    #: Take rate by (category, channel), the most specific.
    take_rates: Mapping[tuple[str, Channel], int] = field(default_factory=dict, hash=False)
    #: Take rate by channel, for categories `take_rates` does not name.
    channel_rates: Mapping[Channel, int] = field(default_factory=dict, hash=False)
    default_take_bps: int = 0
    #: Creator rate by category, else `default_creator_bps`.
    creator_rates: Mapping[str, int] = field(default_factory=dict, hash=False)
    default_creator_bps: int = 0
    declared_at: date | None = None
    version: int = 0
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host.strip():
            raise CommissionError("invalid_schedule", "host is required")
        _day("valid_from", self.valid_from)
        if self.declared_at is not None:
            _day("declared_at", self.declared_at)
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 0:
            raise CommissionError("invalid_schedule", "version must be a non-negative integer")
        take: dict[tuple[str, Channel], int] = {}
        for key, bps in dict(self.take_rates).items():
            if not isinstance(key, tuple) or len(key) != 2:
                raise CommissionError("invalid_schedule", "take_rates keys are (category, channel)")
            category, channel = _category(key[0]), _channel(key[1])
            take[(category, channel)] = _rate(f"take rate for {category}/{channel}", bps)
        by_channel = {
            _channel(ch): _rate(f"take rate for {ch}", bps)
            for ch, bps in dict(self.channel_rates).items()
        }
        creator = {
            _category(c): _rate(f"creator rate for {c}", bps)
            for c, bps in dict(self.creator_rates).items()
        }
        _rate("default_take_bps", self.default_take_bps)
        _rate("default_creator_bps", self.default_creator_bps)
        object.__setattr__(self, "take_rates", MappingProxyType(take))
        object.__setattr__(self, "channel_rates", MappingProxyType(by_channel))
        object.__setattr__(self, "creator_rates", MappingProxyType(creator))
        # Every category the schedule names, plus one it does not (the defaults).
        categories: set[str | None] = {None, *creator, *(c for c, _ in take)}
        for named in categories:
            for channel in Channel:
                total = self._take(named, channel) + self._creator(named)
                if total > BPS_WHOLE:
                    where = named if named is not None else "other categories"
                    raise CommissionError(
                        "rates_exceed_whole",
                        f"take rate plus creator rate for {where}/{channel} is {total} bps; "
                        f"at most {BPS_WHOLE}",
                    )

    def _take(self, category: str | None, channel: Channel) -> int:
        if category is not None and (category, channel) in self.take_rates:
            return self.take_rates[(category, channel)]
        return self.channel_rates.get(channel, self.default_take_bps)

    def _creator(self, category: str | None) -> int:
        if category is not None and category in self.creator_rates:
            return self.creator_rates[category]
        return self.default_creator_bps

    def take_bps(self, category: str, channel: Channel | str) -> int:
        """The host's take rate on an order of `category` that came by `channel`."""
        return self._take(_category(category), _channel(channel))

    def creator_bps(self, category: str) -> int:
        """The creator's rate on an order of `category`."""
        return self._creator(_category(category))

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "valid_from": self.valid_from.isoformat(),
            "version": self.version,
            "take_rates": [
                {"category": c, "channel": ch.value, "bps": bps}
                for (c, ch), bps in sorted(self.take_rates.items())
            ],
            "channel_rates": {ch.value: bps for ch, bps in sorted(self.channel_rates.items())},
            "default_take_bps": self.default_take_bps,
            "creator_rates": dict(sorted(self.creator_rates.items())),
            "default_creator_bps": self.default_creator_bps,
            "declared_at": self.declared_at.isoformat() if self.declared_at else None,
            "note": self.note,
        }


class CommissionHistory:
    """The append-only versions of one host's commission schedule."""

    __slots__ = ("_host", "_versions")

    def __init__(self, host: str, schedules: Iterable[CommissionSchedule] = ()) -> None:
        if not isinstance(host, str) or not host.strip():
            raise CommissionError("invalid_schedule", "host is required")
        self._host = host
        self._versions: list[CommissionSchedule] = []
        for schedule in schedules:
            self.declare(schedule)

    def __repr__(self) -> str:
        return f"CommissionHistory({self._host!r}, {len(self._versions)} versions)"

    @property
    def host(self) -> str:
        return self._host

    @property
    def versions(self) -> tuple[CommissionSchedule, ...]:
        return tuple(self._versions)

    def declare(self, schedule: CommissionSchedule) -> CommissionSchedule:
        """Append `schedule` as the next version (its `version` 0 or already that number)."""
        if schedule.host != self._host:
            raise CommissionError(
                "invalid_schedule", f"{schedule.host}'s schedule cannot join {self._host}'s history"
            )
        number = len(self._versions) + 1
        if schedule.version not in (0, number):
            raise CommissionError(
                "invalid_schedule", f"expected version {number} (or 0), got {schedule.version}"
            )
        known = [s.declared_at for s in self._versions if s.declared_at is not None]
        if schedule.declared_at is not None and known and schedule.declared_at < max(known):
            raise CommissionError(
                "invalid_schedule", "declared_at goes back in time; versions only move forward"
            )
        stored = replace(schedule, version=number)
        self._versions.append(stored)
        return stored

    def as_of(self, version: int) -> CommissionHistory:
        """The history as it stood after `version` (0: before any declaration)."""
        if not 0 <= version <= len(self._versions):
            raise CommissionError("invalid_schedule", f"{self._host} has no version {version}")
        return CommissionHistory(self._host, self._versions[:version])

    def in_force(self, day: date) -> CommissionSchedule | None:
        """The version in force on `day`, or None before the first one."""
        _day("day", day)
        candidates = [s for s in self._versions if s.valid_from <= day]
        return max(candidates, key=lambda s: (s.valid_from, s.version), default=None)


# -- splits ---------------------------------------------------------------------------------

#: The parts of an order, in the order of `OrderSplit`'s fields.
PARTS = ("merchant", "host_commission", "creator_commission", "wallet_fee", "carrier_fee")
#: The order in which a refund's parts are rounded down; the last takes the rest.
REVERSAL_ORDER = ("wallet_fee", "host_commission", "creator_commission", "carrier_fee", "merchant")


@dataclass(frozen=True, slots=True)
class OrderSplit:
    """An amount in five parts (fen); a split of a captured order or of a refund."""

    merchant: int = 0
    host_commission: int = 0
    creator_commission: int = 0
    wallet_fee: int = 0
    carrier_fee: int = 0

    def __post_init__(self) -> None:
        for name in PARTS:
            _amount(name, getattr(self, name))

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in PARTS}

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self.as_dict().items())


def split_order(
    captured: int,
    schedule: CommissionSchedule | None,
    category: str,
    channel: Channel | str,
    wallet_fee: int,
    carrier_fee: int,
    creator: bool,
) -> OrderSplit:
    """Divide `captured` fen into the five parts; they add up to `captured` exactly.

    Commissions are basis points of `captured`, rounded down; the fees are
    fixed fen; the merchant gets the rest. `schedule` None: no commission.
    """
    _amount("captured", captured)
    _amount("wallet_fee", wallet_fee)
    _amount("carrier_fee", carrier_fee)
    category, channel = _category(category), _channel(channel)
    take = schedule.take_bps(category, channel) if schedule is not None else 0
    creator_rate = schedule.creator_bps(category) if schedule is not None and creator else 0
    legs = [
        Leg("merchant"),
        Leg("host_commission", bps=take),
        Leg("creator_commission", bps=creator_rate),
        Leg("wallet_fee", bps=0, fixed=wallet_fee),
        Leg("carrier_fee", bps=0, fixed=carrier_fee),
    ]
    try:
        parts = split(captured, legs)
    except SplitError:
        commissions = (captured * take + captured * creator_rate) // BPS_WHOLE
        raise CommissionError(
            "fees_exceed_amount",
            f"fees of {wallet_fee + carrier_fee} fen exceed the {captured - commissions} fen "
            f"left of {captured} after commissions",
        ) from None
    return OrderSplit(**parts)


def reversed_after(split: OrderSplit, refunded: int) -> OrderSplit:
    """What each part has given back once refunds total `refunded` (cumulative)."""
    total = split.total
    _amount("refunded", refunded)
    if refunded > total:
        raise CommissionError(
            "refund_exceeds_captured", f"refunds of {refunded} exceed the {total} fen split"
        )
    parts = split.as_dict()
    back: dict[str, int] = {}
    left, pool = refunded, total  # what is still to give back, out of what is still unassigned
    for name in REVERSAL_ORDER[:-1]:
        share = parts[name] * left // pool if pool else 0
        back[name] = share
        left -= share
        pool -= parts[name]
    back[REVERSAL_ORDER[-1]] = left
    return OrderSplit(**back)


def reverse_split(split: OrderSplit, refunded_so_far: int, refund: int) -> OrderSplit:
    """The parts a refund of `refund` fen gives back, after `refunded_so_far` fen were.

    Each part is what it has given back after this refund less what it had
    before (see `reversed_after`): never negative, and they add up to
    `refund` exactly.
    """
    _amount("refunded_so_far", refunded_so_far)
    _amount("refund", refund)
    before = reversed_after(split, refunded_so_far)
    after = reversed_after(split, refunded_so_far + refund)
    return OrderSplit(**{name: getattr(after, name) - getattr(before, name) for name in PARTS})


# -- ledger legs ----------------------------------------------------------------------------


def host_commission_account(host: str) -> str:
    return f"h/{host}/commission"


def creator_commission_account(creator: str) -> str:
    return f"c/{creator}/commission"


def carrier_fees_account(carrier: str) -> str:
    return f"l/{carrier}/fees"


_CODES = {
    "merchant": TransferCode.PAYMENT.value,
    "host_commission": TransferCode.COMMISSION.value,
    "creator_commission": TransferCode.COMMISSION.value,
    "wallet_fee": TransferCode.FEE.value,
    "carrier_fee": TransferCode.FEE.value,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitAccounts:
    """Where each part of an order goes, and where the captured money is."""

    merchant: str
    host_commission: str
    creator_commission: str
    wallet_fee: str
    carrier_fee: str
    #: The account holding the captured amount; the merchant's receivable when "".
    source: str = ""

    @classmethod
    def for_order(
        cls, *, merchant: str, host: str, wallet: str, carrier: str, creator: str = ""
    ) -> SplitAccounts:
        """The usual accounts; the captured money at the merchant's receivable."""
        return cls(
            merchant=merchant_receivable(merchant),
            host_commission=host_commission_account(host),
            creator_commission=creator_commission_account(creator) if creator else "",
            wallet_fee=wallet_fees(wallet),
            carrier_fee=carrier_fees_account(carrier),
        )

    @property
    def holding(self) -> str:
        return self.source or self.merchant


def commission_accounts(
    *, host: str = "", creator: str = "", carrier: str = ""
) -> list[NewAccount]:
    """The CNY accounts this module names, for the parties given."""
    accounts = []
    if host:
        accounts.append(
            NewAccount(
                host_commission_account(host), host, CNY, AccountKind.COMMISSION_INCOME.value
            )
        )
    if creator:
        accounts.append(
            NewAccount(
                creator_commission_account(creator),
                creator,
                CNY,
                AccountKind.COMMISSION_INCOME.value,
            )
        )
    if carrier:
        accounts.append(
            NewAccount(carrier_fees_account(carrier), carrier, CNY, AccountKind.FEE_INCOME.value)
        )
    return accounts


def _legs(
    prefix: str,
    reference: str,
    parts: OrderSplit,
    accounts: SplitAccounts,
    already_posted: Collection[str],
    *,
    back: bool,
) -> list[TransferRequest]:
    unknown = set(already_posted) - set(PARTS)
    if unknown:
        raise CommissionError("invalid_split", f"unknown parts {sorted(unknown)}")
    legs = []
    for name, amount in parts:
        account = getattr(accounts, name)
        if amount == 0 or name in already_posted or account == accounts.holding:
            continue
        if not account:
            raise CommissionError("account_missing", f"no account for the {name} part")
        debit, credit = (account, accounts.holding) if back else (accounts.holding, account)
        legs.append(
            TransferRequest(
                id=f"{prefix}/{name}",
                debit_account_id=debit,
                credit_account_id=credit,
                amount=amount,
                asset=CNY,
                code=TransferCode.REFUND.value if back else _CODES[name],
                reference=reference,
            )
        )
    return chain(legs)


def split_legs(
    order_id: str,
    split: OrderSplit,
    accounts: SplitAccounts,
    *,
    already_posted: Collection[str] = (),
) -> list[TransferRequest]:
    """The linked legs that move each part of `split` from the captured money to its account.

    Parts of 0 fen, parts whose account holds the captured money and parts
    named in `already_posted` (e.g. ``"wallet_fee"`` when the capture charged
    it) have no leg. Ids: ``<order_id>/split/<part>``.
    """
    return _legs(f"{order_id}/split", order_id, split, accounts, already_posted, back=False)


def reversal_legs(
    order_id: str,
    refund_id: str,
    reversal: OrderSplit,
    accounts: SplitAccounts,
    *,
    already_posted: Collection[str] = (),
) -> list[TransferRequest]:
    """The linked legs that bring a refund's parts back to the account of the captured money.

    The same accounts as `split_legs`, the other way; ids
    ``<order_id>/refund/<refund_id>/<part>``.
    """
    prefix = f"{order_id}/refund/{refund_id}"
    return _legs(prefix, order_id, reversal, accounts, already_posted, back=True)
