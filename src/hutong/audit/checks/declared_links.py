"""What a host's declared link rules give its own group's other platforms on a surface.

When no link of the host's own group was resolved on a surface, the link
checks cannot compare rivals with observed own links; the host's declared
rules still say how it treats them. The switch keeps a host's own store
links always open (no rule may apply to them), so they are no baseline for
a rule: the baseline is the host's group's OTHER platforms. For each, the
winning rule on the day (the most specific scope, then surface, then the
latest version; `hutong.links.policy`), or, with none, open without steps::

    own_treatment(host, surface) = [(clickable, extra steps) per sibling]

None when the host's group has no other platform (nothing to compare).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from hutong.audit.parties import Parties
from hutong.links.hosts import alias
from hutong.links.policy.rules import LinkRule, ScopeKind, Surface

__all__ = ["OwnTreatment", "own_treatment", "treatment_of", "winner"]


@dataclass(frozen=True, slots=True)
class OwnTreatment:
    #: Every sibling's links open (clickable) under the declared rules.
    open: bool
    #: The fewest extra steps any sibling's links carry.
    steps: int
    siblings: tuple[str, ...]


def winner(
    rules: Sequence[LinkRule], host: str, source: str, surface: Surface, day: date
) -> LinkRule | None:
    matching = [
        r
        for r in rules
        if alias(r.host) == host
        and alias(r.source) == source
        and r.scope.kind is ScopeKind.ALL
        and r.covers_surface(surface)
        and r.in_force(day)
    ]
    return max(matching, key=lambda r: r.precedence) if matching else None


def own_treatment(
    rules: Sequence[LinkRule],
    parties: Parties,
    host: str,
    surface: str,
    sources: Collection[str],
) -> OwnTreatment | None:
    """The siblings' declared treatment; `sources`: the link sources known (by alias).

    A group member that is no link source (a wallet, a carrier) is no sibling here.
    """
    known = set(sources) | {alias(r.source) for r in rules}
    return treatment_of(rules, parties, host, surface, parties.siblings(host) & known)


def treatment_of(
    rules: Sequence[LinkRule],
    parties: Parties,
    host: str,
    surface: str,
    sources: Collection[str],
    day: date | None = None,
) -> OwnTreatment | None:
    """How the host's declared rules treat links to `sources` on the surface (None: none).

    On `day` (the window's last day, `parties.day`, unless given).
    """
    siblings = tuple(sorted(sources))
    if not siblings:
        return None
    try:
        where = Surface(surface)
    except ValueError:
        return None
    on = parties.day if day is None else day
    treated = [winner(rules, alias(host), s, where, on) for s in siblings]
    return OwnTreatment(
        open=all(r is None or r.treatment.clickable for r in treated),
        steps=min(0 if r is None else len(r.extra_steps) for r in treated),
        siblings=siblings,
    )
