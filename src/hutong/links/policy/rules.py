"""The pieces of a link rule: treatments, extra steps, surfaces, scopes, the rule itself.

Pure code. What each word means, and how rules are dated and ranked, is in
`hutong.links.policy`; `hutong.links.policy.history` decides with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from hutong.links.policy.errors import PolicyError

__all__ = [
    "ALL_LINKS",
    "ExtraStep",
    "LinkRule",
    "ScopeKind",
    "SourceScope",
    "Surface",
    "Treatment",
    "check_day",
]


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
                raise PolicyError(
                    "invalid_scope", "a merchant scope names at least one non-empty merchant id"
                )
        elif self.merchant_ids:
            raise PolicyError("invalid_scope", f"a {self.kind} scope names no merchant ids")

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


def check_day(name: str, value: object) -> None:
    # datetime is a date subclass but does not compare with date; refuse it early.
    if type(value) is not date:
        raise PolicyError(
            "invalid_day", f"{name} must be a datetime.date (not {type(value).__name__})"
        )


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
            raise PolicyError("invalid_link_rule", "host and source are required")
        if self.host == self.source:
            raise PolicyError(
                "own_link_rule", f"{self.host}'s own links are always open; no rule applies to them"
            )
        object.__setattr__(self, "treatment", Treatment(self.treatment))
        if self.surfaces is not None:
            surfaces = frozenset(Surface(s) for s in self.surfaces)
            if not surfaces:
                raise PolicyError(
                    "invalid_link_rule", "surfaces is None (every surface) or names at least one"
                )
            object.__setattr__(self, "surfaces", surfaces)
        steps = tuple(ExtraStep(s) for s in self.extra_steps)
        if len(set(steps)) != len(steps):
            raise PolicyError("invalid_link_rule", "an extra step is listed twice")
        if steps and self.treatment is Treatment.BLOCKED:
            raise PolicyError("invalid_link_rule", "a blocked link has no extra steps")
        object.__setattr__(self, "extra_steps", steps)
        check_day("valid_from", self.valid_from)
        if self.valid_until is not None:
            check_day("valid_until", self.valid_until)
            if self.valid_until <= self.valid_from:
                raise PolicyError("invalid_link_rule", "valid_until must be after valid_from")
        if self.declared_at is not None:
            check_day("declared_at", self.declared_at)
        if self.version < 0:
            raise PolicyError("invalid_link_rule", "version must not be negative")

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
            raise PolicyError("invalid_link_rule", f"not a link rule: {exc!r}") from exc
        except ValueError as exc:
            if isinstance(exc, PolicyError):
                raise
            raise PolicyError("invalid_link_rule", f"not a link rule: {exc}") from exc


def _optional_day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)
