"""Wallet acceptance: which wallets a platform accepts, kept as dated history.

Pure code, no I/O. The registry stores the declarations; checkout asks
`choosable_wallets` which wallets a buyer may pick, and the auditor reads the
refusals it returns.

Declarations
------------
An `AcceptancePolicy` is a platform's whole stance from its ``valid_from``
day (a calendar date, inclusive): it accepts every registered wallet
(``accepts=None``) or only a set, and it may refuse named wallets, each with a
reason. A wallet both accepted and refused by one declaration is refused as a
contradiction.

History
-------
A platform's `AcceptanceHistory` is append-only: `declare` numbers versions
1, 2, ... and never edits or removes one; `as_of` rebuilds the history after
any version. On a day, the version in force is the one with the latest
``valid_from`` on or before the day; on the same ``valid_from``, the later
version. A later version replaces the whole stance from its own valid_from
and never changes a decision for a day before it.

No declaration in force (no history, or a day before the first version) means
every wallet is accepted, with nothing to report: Hutong's default is that any
registered wallet can pay at any merchant, as links are open unless a host
says otherwise. Reading silence as a refusal would invent one nobody declared.

Refusals
--------
A wallet is refused by a policy when the policy names it in ``refused`` (with
that reason) or accepts only a set without it. A `Refusal` names the wallet,
the platform that refuses (``by``), the version in force, the reason, and
``since``: the first day of the unbroken run of versions that refused the
wallet up to the day asked about, so a refusal declared in 2011 and carried
through later versions still reads "since 2011-01-01".

Choosing a wallet
-----------------
A buyer may pick a wallet only when both the host (the app the buyer is in)
and the merchant's platform (where the offer is sold and paid) accept it.
Every refusal is in the answer, one per refusing platform (both, when both
refuse), so checkout can show it and the service can record it as an event
for the auditor. A merchant selling on its own platform's app is asked about
once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple

from hutong.payments.rules import PaymentError


def _invalid(message: str) -> PaymentError:
    return PaymentError("invalid_policy", message)


def _check_day(name: str, value: object) -> None:
    # datetime is a date subclass but does not compare with date; refuse it early.
    if type(value) is not date:
        raise _invalid(f"{name} must be a datetime.date (not {type(value).__name__})")


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptancePolicy:
    """One declaration: the wallets `platform` accepts from `valid_from` on."""

    platform: str
    valid_from: date
    #: None: every registered wallet; otherwise only these.
    accepts: frozenset[str] | None = None
    #: Wallets refused by name, each with its reason.
    refused: Mapping[str, str] = field(default_factory=dict, hash=False)
    declared_at: date | None = None
    version: int = 0
    note: str = ""

    def __post_init__(self) -> None:
        if not self.platform.strip():
            raise _invalid("platform is required")
        _check_day("valid_from", self.valid_from)
        if self.declared_at is not None:
            _check_day("declared_at", self.declared_at)
        if self.accepts is not None:
            object.__setattr__(self, "accepts", frozenset(self.accepts))
        refused = dict(self.refused)
        wallets = [*refused, *(self.accepts or ())]
        if any(not isinstance(w, str) or not w.strip() for w in wallets):
            raise _invalid("wallet ids must be non-empty")
        if any(not isinstance(r, str) or not r.strip() for r in refused.values()):
            raise _invalid("every refused wallet needs a reason")
        both = sorted(set(refused) & (self.accepts or frozenset()))
        if both:
            raise _invalid(f"{', '.join(both)} both accepted and refused")
        object.__setattr__(self, "refused", MappingProxyType(refused))
        if self.version < 0:
            raise _invalid("version must not be negative")

    def refusal_reason(self, wallet: str) -> str | None:
        """Why this policy refuses `wallet`, or None when it accepts it."""
        if wallet in self.refused:
            return self.refused[wallet]
        if self.accepts is not None and wallet not in self.accepts:
            listed = ", ".join(sorted(self.accepts)) or "no wallet"
            return f"{self.platform} accepts only {listed}"
        return None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A platform refuses a wallet on a day: who, since when, under which version, why."""

    wallet: str
    by: str
    since: date
    reason: str
    version: int

    def explain(self) -> str:
        return (
            f"{self.wallet} refused by {self.by} since {self.since.isoformat()} "
            f"(version {self.version}): {self.reason}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The event body the service records for the auditor."""
        return {
            "wallet": self.wallet,
            "by": self.by,
            "since": self.since.isoformat(),
            "reason": self.reason,
            "version": self.version,
        }


class AcceptanceHistory:
    """The append-only versions of one platform's acceptance policy."""

    __slots__ = ("_platform", "_versions")

    def __init__(self, platform: str, policies: Iterable[AcceptancePolicy] = ()) -> None:
        if not platform.strip():
            raise _invalid("platform is required")
        self._platform = platform
        self._versions: list[AcceptancePolicy] = []
        for policy in policies:
            self.declare(policy)

    def __repr__(self) -> str:
        return f"AcceptanceHistory({self._platform!r}, {len(self._versions)} versions)"

    @property
    def platform(self) -> str:
        return self._platform

    @property
    def versions(self) -> tuple[AcceptancePolicy, ...]:
        return tuple(self._versions)

    def declare(self, policy: AcceptancePolicy) -> AcceptancePolicy:
        """Append `policy` as the next version (its `version` 0 or already that number)."""
        if policy.platform != self._platform:
            raise _invalid(f"{policy.platform}'s policy cannot join {self._platform}'s history")
        number = len(self._versions) + 1
        if policy.version not in (0, number):
            raise _invalid(f"expected version {number} (or 0), got {policy.version}")
        known = [p.declared_at for p in self._versions if p.declared_at is not None]
        if policy.declared_at is not None and known and policy.declared_at < max(known):
            raise _invalid("declared_at goes back in time; versions only move forward")
        stored = replace(policy, version=number)
        self._versions.append(stored)
        return stored

    def as_of(self, version: int) -> AcceptanceHistory:
        """The history as it stood after `version` (0: before any declaration)."""
        if not 0 <= version <= len(self._versions):
            raise _invalid(f"{self._platform} has no version {version}")
        return AcceptanceHistory(self._platform, self._versions[:version])

    def _timeline(self, day: date) -> list[AcceptancePolicy]:
        """The versions that were in force on some day up to `day`, in order."""
        _check_day("day", day)
        ordered = sorted(
            (p for p in self._versions if p.valid_from <= day),
            key=lambda p: (p.valid_from, p.version),
        )
        # Of several versions from the same day only the latest was ever in force.
        return [
            p
            for i, p in enumerate(ordered)
            if i + 1 == len(ordered) or ordered[i + 1].valid_from != p.valid_from
        ]

    def in_force(self, day: date) -> AcceptancePolicy | None:
        """The version in force on `day`, or None before the first one."""
        timeline = self._timeline(day)
        return timeline[-1] if timeline else None

    def refusal(self, wallet: str, day: date) -> Refusal | None:
        """Why this platform refuses `wallet` on `day`, or None when it accepts it."""
        timeline = self._timeline(day)
        reason = timeline[-1].refusal_reason(wallet) if timeline else None
        if reason is None:
            return None
        start = len(timeline) - 1
        while start > 0 and timeline[start - 1].refusal_reason(wallet) is not None:
            start -= 1
        since = timeline[start].valid_from
        return Refusal(wallet, self._platform, since, reason, timeline[-1].version)


class WalletChoice(NamedTuple):
    """The wallets a buyer may pick, and every refusal that removed one."""

    allowed: list[str]
    refused: list[Refusal]


def choosable_wallets(
    registered_wallets: Iterable[str],
    host_policy: AcceptanceHistory | None,
    merchant_platform_policy: AcceptanceHistory | None,
    day: date,
) -> WalletChoice:
    """The registered wallets both platforms accept on `day`, in the order given.

    A policy of None is a platform that declared nothing: it accepts every wallet.
    """
    _check_day("day", day)
    judges = [h for h in (host_policy, merchant_platform_policy) if h is not None]
    if len(judges) == 2 and judges[0].platform == judges[1].platform:
        if judges[0] is not judges[1]:
            raise _invalid(f"two different histories for {judges[0].platform}")
        judges = judges[:1]
    allowed: list[str] = []
    refused: list[Refusal] = []
    for wallet in dict.fromkeys(registered_wallets):
        refusals = [r for h in judges if (r := h.refusal(wallet, day)) is not None]
        refused.extend(refusals)
        if not refusals:
            allowed.append(wallet)
    return WalletChoice(allowed, refused)
