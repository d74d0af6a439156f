"""The refusals of link policies: one error class, a stable code each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from hutong.protocol.errors import Kind, RuleBroken

__all__ = ["PolicyError"]


class PolicyError(RuleBroken, ValueError):
    """A rule or a declaration is not valid.

    Codes: ``invalid_link_rule`` (a rule that cannot be declared as written),
    ``invalid_scope``, ``invalid_day`` (not a ``datetime.date``),
    ``own_link_rule`` (a rule for the host's own links, which are always
    open), ``invalid_host``, ``wrong_host`` (a rule or history of another
    host), ``version_out_of_order`` and ``declared_out_of_order`` (a
    declaration that does not follow the history), ``unknown_version``.
    Still a `ValueError`, as it always was, for callers that catch that.
    """

    kind = Kind.INVALID
    kinds: ClassVar[Mapping[str, Kind]] = {
        "version_out_of_order": Kind.CONFLICT,
        "declared_out_of_order": Kind.CONFLICT,
        "unknown_version": Kind.NOT_FOUND,
    }
