"""Link policies: how a host platform treats links to another platform, as dated history.

Pure code, no I/O. The registry stores the rules; the resolver and the auditor
ask `decide` what a host did (or does) with a link on a given day.

Vocabulary
----------
host
    The platform whose app the buyer is in (wechat, douyin, kuaishou...).
source
    The platform the link leads to: where the offer is sold and paid for.
    A merchant's storefront *inside* the host (JD Beauty's Douyin shop, a
    closed loop in Douyin since 2021) is sold and paid in the host, so its
    links have ``source == host``: they are the host's own links, not
    external links, whatever the host says about links to the merchant's
    home platform.
surface
    The place in the host app where the link is shown or pasted: a live
    room's cart, a short video's cart, a product page, a one-to-one chat, a
    group chat, the timeline (Moments / feed), a mini-program, search.

Surface and channel are one dimension. Every "channel" the campaign talks
about (one-to-one chat, group chat, timeline, live room) is a place in the
host app exactly like a cart or a product page, and hosts declared their
policies per place (WeChat opened group chats on a different day from
one-to-one chats; Douyin cut live-room carts and kept short-video carts). A
second dimension would create pairs nobody declares (group chat x live cart)
and rules would have to say "all" twice. A live room's links live in its
cart (`Surface.LIVE_CART`), a short video's in `Surface.VIDEO_CART`.

Treatments
----------
open
    The source's H5 page opens inside the host app, with its order and pay flow.
deep_link
    The host hands the buyer over to the source's own app.
mini_program
    The source's mini-program opens inside the host.
share_code_only
    The link is not clickable; the buyer can only copy a share code (淘口令)
    and paste it in the source's app.
blocked
    Neither the link nor a code gets through. A blocked page names the rule
    (`Decision.explain`: "blocked by kuaishou since 2022-03-01 ...").

Extra steps are the friction a host adds before a non-blocked treatment (a
warning page, "copy the link and open it in a browser", a confirmation to
leave the app, a deliberately slow load). A blocked rule has none.

Scope
-----
A rule covers either all links to its source, only the source's
self-operated stores (自营), or named merchants (`SourceScope`).

Validity
--------
A rule is in force on the days ``valid_from <= day < valid_until``:
valid_from inclusive, valid_until exclusive, no valid_until = open-ended.
Days are calendar dates as the host declared them; there is no time of day.

History and precedence
----------------------
A host's `PolicyHistory` is append-only. `PolicyHistory.declare` stores a
new version (numbered 1, 2, ... per host) and never edits or removes an
earlier one; `PolicyHistory.as_of` rebuilds what the history said after any
version. A rule only speaks for the days of its own window, so declaring a
version never changes a decision for a day before its valid_from.

Among the rules in force on the day that match the source, the surface and
the merchant, the winner is the greatest by, in order:

1. scope: named merchants > self-operated stores > all links;
2. surface: a rule naming surfaces > a rule for every surface;
3. version: later > earlier.

So a later broad rule does not undo an earlier narrower exception: to end an
exception, declare a new rule with the same narrow scope (or give the
exception a valid_until when it is declared).

No rule
-------
When no rule matches, the decision is `Treatment.OPEN` with ``rule=None``
and ``basis=Basis.UNDECLARED`` (``declared`` is False). Hutong's universal
links are open unless a host says otherwise: reading silence as a block
would invent a block nobody declared, and an "unknown" treatment would push
a third state onto every caller, who must still do something with the link.
The flag keeps the difference visible: the auditor can list what a host
never declared and compare it with what resolutions actually observed.

A host's own links (``source == host``) are always open (``Basis.OWN_LINK``)
and no rule may be declared for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any


class PolicyError(ValueError):
    """A rule or a declaration is not valid."""


class Treatment(StrEnum):
    """What a host does with a link to a source platform."""

    OPEN = "open"
    DEEP_LINK = "deep_link"
    MINI_PROGRAM = "mini_program"
    SHARE_CODE_ONLY = "share_code_only"
    BLOCKED = "blocked"

    @property
    def clickable(self) -> bool:
        """True when tapping the link itself reaches the offer."""
        return self in (Treatment.OPEN, Treatment.DEEP_LINK, Treatment.MINI_PROGRAM)


class ExtraStep(StrEnum):
    """Friction a host forces before the treatment takes effect."""

    WARNING_PAGE = "warning_page"
    COPY_TO_BROWSER = "copy_to_browser"
    CONFIRM_LEAVE = "confirm_leave"
    DELAYED_LOAD = "delayed_load"


class Surface(StrEnum):
    """The place in the host app where a link appears (channels included; see module doc)."""

    LIVE_CART = "live_cart"
    VIDEO_CART = "video_cart"
    PRODUCT_PAGE = "product_page"
    CHAT = "chat"
    GROUP_CHAT = "group_chat"
    TIMELINE = "timeline"
    MINI_PROGRAM = "mini_program"
    SEARCH = "search"


class ScopeKind(StrEnum):
    """Which links of a source platform a rule covers."""

    ALL = "all"
    SELF_OPERATED = "self_operated"
    MERCHANTS = "merchants"

    @property
    def specificity(self) -> int:
        """Higher is narrower; the narrower matching rule wins."""
        return _SCOPE_SPECIFICITY[self]


_SCOPE_SPECIFICITY: dict[ScopeKind, int] = {
    ScopeKind.ALL: 0,
    ScopeKind.SELF_OPERATED: 1,
    ScopeKind.MERCHANTS: 2,
}


@dataclass(frozen=True, slots=True)
class SourceScope:
    """All links of a source, only its self-operated stores, or named merchants."""

    kind: ScopeKind = ScopeKind.ALL
    merchant_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ScopeKind(self.kind))
        object.__setattr__(self, "merchant_ids", frozenset(self.merchant_ids))
        if self.kind is ScopeKind.MERCHANTS:
            if not self.merchant_ids or any(not m.strip() for m in self.merchant_ids):
                raise PolicyError("a merchant scope names at least one non-empty merchant id")
        elif self.merchant_ids:
            raise PolicyError(f"a {self.kind} scope names no merchant ids")

    @classmethod
    def all_links(cls) -> SourceScope:
        return cls(ScopeKind.ALL)

    @classmethod
    def self_operated(cls) -> SourceScope:
        return cls(ScopeKind.SELF_OPERATED)

    @classmethod
    def merchants(cls, *merchant_ids: str) -> SourceScope:
        return cls(ScopeKind.MERCHANTS, frozenset(merchant_ids))

    def covers(self, *, self_operated: bool, merchant_id: str | None) -> bool:
        """True when a link to this merchant falls under the scope."""
        if self.kind is ScopeKind.ALL:
            return True
        if self.kind is ScopeKind.SELF_OPERATED:
            return self_operated
        return merchant_id is not None and merchant_id in self.merchant_ids

    def describe(self) -> str:
        if self.kind is ScopeKind.ALL:
            return "all links"
        if self.kind is ScopeKind.SELF_OPERATED:
            return "self-operated stores"
        return "merchants " + ", ".join(sorted(self.merchant_ids))


ALL_LINKS = SourceScope.all_links()


def _check_day(name: str, value: object) -> None:
    # datetime is a date subclass but does not compare with date; refuse it early.
    if type(value) is not date:
        raise PolicyError(f"{name} must be a datetime.date (not {type(value).__name__})")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkRule:
    """One declared rule: how `host` treats links to `source` on some surfaces.

    `surfaces` None means every surface, including ones added later.
    `version` is 0 until a `PolicyHistory` stores the rule and numbers it.
    `declared_at` is when the host announced it (None: not known), which can
    precede `valid_from` (Kuaishou announced its 2022-03-01 cut in February).
    """

    host: str
    source: str
    treatment: Treatment
    valid_from: date
    surfaces: frozenset[Surface] | None = None
    scope: SourceScope = ALL_LINKS
    extra_steps: tuple[ExtraStep, ...] = ()
    valid_until: date | None = None
    declared_at: date | None = None
    version: int = 0
    note: str = ""

    def __post_init__(self) -> None:
        if not self.host.strip() or not self.source.strip():
            raise PolicyError("host and source are required")
        if self.host == self.source:
            raise PolicyError(f"{self.host}'s own links are always open; no rule applies to them")
        object.__setattr__(self, "treatment", Treatment(self.treatment))
        if self.surfaces is not None:
            surfaces = frozenset(Surface(s) for s in self.surfaces)
            if not surfaces:
                raise PolicyError("surfaces is None (every surface) or names at least one")
            object.__setattr__(self, "surfaces", surfaces)
        steps = tuple(ExtraStep(s) for s in self.extra_steps)
        if len(set(steps)) != len(steps):
            raise PolicyError("an extra step is listed twice")
        if steps and self.treatment is Treatment.BLOCKED:
            raise PolicyError("a blocked link has no extra steps")
        object.__setattr__(self, "extra_steps", steps)
        _check_day("valid_from", self.valid_from)
        if self.valid_until is not None:
            _check_day("valid_until", self.valid_until)
            if self.valid_until <= self.valid_from:
                raise PolicyError("valid_until must be after valid_from")
        if self.declared_at is not None:
            _check_day("declared_at", self.declared_at)
        if self.version < 0:
            raise PolicyError("version must not be negative")

    @property
    def surface_specificity(self) -> int:
        return 0 if self.surfaces is None else 1

    @property
    def precedence(self) -> tuple[int, int, int]:
        """The key the winner among matching rules maximizes (see module doc)."""
        return (self.scope.kind.specificity, self.surface_specificity, self.version)

    def in_force(self, day: date) -> bool:
        """valid_from inclusive, valid_until exclusive."""
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)

    def covers_surface(self, surface: Surface) -> bool:
        return self.surfaces is None or surface in self.surfaces

    def applies(
        self,
        *,
        source: str,
        surface: Surface,
        day: date,
        merchant_is_self_operated: bool = False,
        merchant_id: str | None = None,
    ) -> bool:
        """True when this rule speaks for a link to `source` on `surface` on `day`."""
        return (
            self.source == source
            and self.covers_surface(surface)
            and self.in_force(day)
            and self.scope.covers(self_operated=merchant_is_self_operated, merchant_id=merchant_id)
        )

    def describe(self) -> str:
        """One line, e.g. ``kuaishou v2: jd (all links) on live_cart: blocked from 2022-03-01``."""
        where = "every surface" if self.surfaces is None else ", ".join(sorted(self.surfaces))
        what = str(self.treatment)
        if self.extra_steps:
            what += " after " + ", ".join(self.extra_steps)
        until = f" until {self.valid_until.isoformat()}" if self.valid_until else ""
        return (
            f"{self.host} v{self.version}: {self.source} ({self.scope.describe()}) on {where}: "
            f"{what} from {self.valid_from.isoformat()}{until}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for storage and the API); `from_dict` reads it back."""
        return {
            "host": self.host,
            "source": self.source,
            "surfaces": None if self.surfaces is None else sorted(self.surfaces),
            "scope": {
                "kind": str(self.scope.kind),
                "merchant_ids": sorted(self.scope.merchant_ids),
            },
            "treatment": str(self.treatment),
            "extra_steps": [str(s) for s in self.extra_steps],
            "valid_from": self.valid_from.isoformat(),
            "valid_until": None if self.valid_until is None else self.valid_until.isoformat(),
            "declared_at": None if self.declared_at is None else self.declared_at.isoformat(),
            "version": self.version,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinkRule:
        try:
            scope = data.get("scope") or {}
            surfaces = data.get("surfaces")
            return cls(
                host=str(data["host"]),
                source=str(data["source"]),
                surfaces=None if surfaces is None else frozenset(Surface(s) for s in surfaces),
                scope=SourceScope(
                    ScopeKind(scope.get("kind", ScopeKind.ALL)),
                    frozenset(scope.get("merchant_ids", ())),
                ),
                treatment=Treatment(data["treatment"]),
                extra_steps=tuple(ExtraStep(s) for s in data.get("extra_steps", ())),
                valid_from=date.fromisoformat(data["valid_from"]),
                valid_until=_optional_day(data.get("valid_until")),
                declared_at=_optional_day(data.get("declared_at")),
                version=int(data.get("version", 0)),
                note=str(data.get("note", "")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise PolicyError(f"not a link rule: {exc!r}") from exc
        except ValueError as exc:
            if isinstance(exc, PolicyError):
                raise
            raise PolicyError(f"not a link rule: {exc}") from exc


def _optional_day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


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
            raise PolicyError("host is required")
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
            raise PolicyError(f"a rule of {rule.host} cannot join {self._host}'s history")
        next_version = len(self._versions) + 1
        if rule.version not in (0, next_version):
            raise PolicyError(f"expected version {next_version} (or 0), got {rule.version}")
        if rule.declared_at is not None:
            last = max(
                (r.declared_at for r in self._versions if r.declared_at is not None),
                default=None,
            )
            if last is not None and rule.declared_at < last:
                raise PolicyError(
                    f"declared_at {rule.declared_at.isoformat()} is before the latest "
                    f"declaration ({last.isoformat()}); versions only move forward"
                )
        stored = replace(rule, version=next_version)
        self._versions.append(stored)
        return stored

    def as_of(self, version: int) -> PolicyHistory:
        """The history as it stood after `version` (0: before any declaration)."""
        if not 0 <= version <= len(self._versions):
            raise PolicyError(f"{self._host} has no version {version}")
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
        _check_day("day", day)
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
        raise PolicyError(f"the history filed under {host} belongs to {history.host}")
    return history.decide(
        source,
        surface,
        day,
        merchant_is_self_operated=merchant_is_self_operated,
        merchant_id=merchant_id,
    )
