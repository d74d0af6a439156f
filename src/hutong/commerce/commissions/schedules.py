"""Commission schedules and a host's append-only history of them (see the package)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Any

from hutong.commerce.commissions.values import (
    Channel,
    CommissionError,
    as_category,
    as_channel,
    as_day,
    as_rate,
)
from hutong.ledger.splits import BPS_WHOLE


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
        as_day("valid_from", self.valid_from)
        if self.declared_at is not None:
            as_day("declared_at", self.declared_at)
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 0:
            raise CommissionError("invalid_schedule", "version must be a non-negative integer")
        take: dict[tuple[str, Channel], int] = {}
        for key, bps in dict(self.take_rates).items():
            if not isinstance(key, tuple) or len(key) != 2:
                raise CommissionError("invalid_schedule", "take_rates keys are (category, channel)")
            category, channel = as_category(key[0]), as_channel(key[1])
            take[(category, channel)] = as_rate(f"take rate for {category}/{channel}", bps)
        by_channel = {
            as_channel(ch): as_rate(f"take rate for {ch}", bps)
            for ch, bps in dict(self.channel_rates).items()
        }
        creator = {
            as_category(c): as_rate(f"creator rate for {c}", bps)
            for c, bps in dict(self.creator_rates).items()
        }
        as_rate("default_take_bps", self.default_take_bps)
        as_rate("default_creator_bps", self.default_creator_bps)
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
        return self._take(as_category(category), as_channel(channel))

    def creator_bps(self, category: str) -> int:
        """The creator's rate on an order of `category`."""
        return self._creator(as_category(category))

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
        as_day("day", day)
        candidates = [s for s in self._versions if s.valid_from <= day]
        return max(candidates, key=lambda s: (s.valid_from, s.version), default=None)
