"""A host's dated, append-only history of link rules, and the decisions it gives. Pure code.

`PolicyHistory.declare` numbers and appends versions; `PolicyHistory.decide`
(and `decide` over every host's history) picks the winning rule for one link
on one surface on one day, by the precedence `hutong.links.policy` describes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from hutong.links.policy.errors import PolicyError
from hutong.links.policy.rules import ExtraStep, LinkRule, Surface, Treatment, check_day

__all__ = ["Basis", "Decision", "PolicyHistory", "decide"]


class Basis(StrEnum):
    """Why a decision came out as it did."""

    RULE = "rule"  # a declared rule decided it
    OWN_LINK = "own_link"  # source == host: always open
    UNDECLARED = "undeclared"  # no rule matched: open by default


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What a host does with one link on one surface on one day, and why.

    `rule` is the winning rule (None for own links and undeclared ones);
    `overridden` the other rules that matched and lost, in version order.
    """

    host: str
    source: str
    surface: Surface
    day: date
    treatment: Treatment
    extra_steps: tuple[ExtraStep, ...]
    basis: Basis
    rule: LinkRule | None = None
    overridden: tuple[LinkRule, ...] = ()

    @property
    def declared(self) -> bool:
        """True when a rule the host declared decided this (False for own and undeclared)."""
        return self.basis is Basis.RULE

    @property
    def since(self) -> date | None:
        return None if self.rule is None else self.rule.valid_from

    def explain(self) -> str:
        """A sentence for a resolver page or an audit report."""
        if self.basis is Basis.OWN_LINK:
            return f"{self.source} link inside {self.host}: the host's own link, always open"
        if self.rule is None:
            return (
                f"{self.host} has declared no policy for {self.source} links on {self.surface} "
                f"on {self.day.isoformat()}: open by default"
            )
        rule = self.rule
        text = f"{self.treatment} by {self.host} since {rule.valid_from.isoformat()}"
        if rule.valid_until is not None:
            text += f" until {rule.valid_until.isoformat()}"
        if self.extra_steps:
            text += " after " + ", ".join(self.extra_steps)
        text += f" ({self.source} {rule.scope.describe()} on {self.surface}; version {rule.version}"
        if rule.note:
            text += f": {rule.note}"
        return text + ")"


class PolicyHistory:
    """The append-only versions of one host's link rules."""

    __slots__ = ("_host", "_versions")

    def __init__(self, host: str, rules: Iterable[LinkRule] = ()) -> None:
        if not host.strip():
            raise PolicyError("invalid_host", "host is required")
        self._host = host
        self._versions: list[LinkRule] = []
        for rule in rules:
            self.declare(rule)

    def __repr__(self) -> str:
        return f"PolicyHistory({self._host!r}, {len(self._versions)} versions)"

    def __len__(self) -> int:
        return len(self._versions)

    @property
    def host(self) -> str:
        return self._host

    @property
    def versions(self) -> tuple[LinkRule, ...]:
        """Every version ever declared, oldest first."""
        return tuple(self._versions)

    @property
    def latest_version(self) -> int:
        return len(self._versions)

    def declare(self, rule: LinkRule) -> LinkRule:
        """Append `rule` as the next version and return it as stored.

        `rule.version` must be 0 (the history numbers it) or already the next
        number (a stored history replayed). Versions are in declaration order,
        so `declared_at`, where known, must not go back in time.
        """
        if rule.host != self._host:
            raise PolicyError(
                "wrong_host", f"a rule of {rule.host} cannot join {self._host}'s history"
            )
        next_version = len(self._versions) + 1
        if rule.version not in (0, next_version):
            raise PolicyError(
                "version_out_of_order",
                f"expected version {next_version} (or 0), got {rule.version}",
            )
        if rule.declared_at is not None:
            last = max(
                (r.declared_at for r in self._versions if r.declared_at is not None),
                default=None,
            )
            if last is not None and rule.declared_at < last:
                raise PolicyError(
                    "declared_out_of_order",
                    f"declared_at {rule.declared_at.isoformat()} is before the latest "
                    f"declaration ({last.isoformat()}); versions only move forward",
                )
        stored = replace(rule, version=next_version)
        self._versions.append(stored)
        return stored

    def as_of(self, version: int) -> PolicyHistory:
        """The history as it stood after `version` (0: before any declaration)."""
        if not 0 <= version <= len(self._versions):
            raise PolicyError("unknown_version", f"{self._host} has no version {version}")
        return PolicyHistory(self._host, self._versions[:version])

    def rules_at(self, day: date) -> tuple[LinkRule, ...]:
        """The rules in force on `day`, in version order (overridden ones included)."""
        return tuple(r for r in self._versions if r.in_force(day))

    def sources(self) -> tuple[str, ...]:
        """Every source platform a rule was ever declared for, sorted."""
        return tuple(sorted({r.source for r in self._versions}))

    def decide(
        self,
        source: str,
        surface: Surface,
        day: date,
        *,
        merchant_is_self_operated: bool = False,
        merchant_id: str | None = None,
    ) -> Decision:
        """How this host treats a link to `source` on `surface` on `day`."""
        surface = Surface(surface)
        check_day("day", day)
        if source == self._host:
            return Decision(
                host=self._host,
                source=source,
                surface=surface,
                day=day,
                treatment=Treatment.OPEN,
                extra_steps=(),
                basis=Basis.OWN_LINK,
            )
        matching = [
            r
            for r in self._versions
            if r.applies(
                source=source,
                surface=surface,
                day=day,
                merchant_is_self_operated=merchant_is_self_operated,
                merchant_id=merchant_id,
            )
        ]
        if not matching:
            return Decision(
                host=self._host,
                source=source,
                surface=surface,
                day=day,
                treatment=Treatment.OPEN,
                extra_steps=(),
                basis=Basis.UNDECLARED,
            )
        winner = max(matching, key=lambda r: r.precedence)
        return Decision(
            host=self._host,
            source=source,
            surface=surface,
            day=day,
            treatment=winner.treatment,
            extra_steps=winner.extra_steps,
            basis=Basis.RULE,
            rule=winner,
            overridden=tuple(r for r in matching if r is not winner),
        )

    def snapshot(self, day: date) -> tuple[Decision, ...]:
        """Decisions on `day` for every declared source on every surface.

        For an ordinary merchant (not self-operated, no merchant id); the rules
        with a narrower scope are in `rules_at(day)`.
        """
        return tuple(
            self.decide(source, surface, day) for source in self.sources() for surface in Surface
        )


def decide(
    policies: Mapping[str, PolicyHistory],
    host: str,
    source: str,
    surface: Surface,
    day: date,
    *,
    merchant_is_self_operated: bool = False,
    merchant_id: str | None = None,
) -> Decision:
    """`PolicyHistory.decide` for `host`; a host with no history has declared nothing."""
    history = policies.get(host)
    if history is None:
        history = PolicyHistory(host)
    elif history.host != host:
        raise PolicyError("wrong_host", f"the history filed under {host} belongs to {history.host}")
    return history.decide(
        source,
        surface,
        day,
        merchant_is_self_operated=merchant_is_self_operated,
        merchant_id=merchant_id,
    )
