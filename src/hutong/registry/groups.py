"""Corporate groups: who is "own", "allied" or "rival" to whom, on a given day.

The operator declares groups (Alibaba: taobao, tmall, alipay, cainiao,
88vip, ...) as versions with a valid-from day; the version of a group in
force on day `d` is its latest (valid_from, version) with valid_from <= d.

A group's version may also name its allies: other groups or single
participants aligned with it (腾讯系: JD and Kuaishou are Tencent-aligned).
A participant is *aligned* with group G on day d when it is a member of G,
named among G's allies, or a member of a group named among G's allies.

    relation(a, b, d) = own     if a == b, or a and b are members of one group on d
                        allied  otherwise, if a and b are both aligned with one group G on d
                        rival   otherwise

Allied is weaker than own and reported apart from it; it is never own.
Pure: the versions are handed in (`hutong.registry.group_store` reads them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from hutong.protocol.errors import ValidationError

__all__ = [
    "GroupVersion",
    "Relation",
    "check_no_overlap",
    "group_of",
    "groups_in_force",
    "relation",
    "validate_group_name",
]

_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
#: The most members (and allies) one version may list.
MAX_MEMBERS = 500


class Relation(StrEnum):
    OWN = "own"
    ALLIED = "allied"
    RIVAL = "rival"


@dataclass(frozen=True, slots=True)
class GroupVersion:
    name: str
    version: int
    valid_from: date
    members: frozenset[str]
    #: Groups (by name) and participants (by id) aligned with this group.
    allied: frozenset[str] = frozenset()


def validate_group_name(name: str) -> str:
    name = name.strip().lower()
    if not _NAME.match(name):
        raise ValidationError(
            f"group name {name!r}: lowercase letters, digits, '-' or '_', 1 to 64 characters",
            code="invalid_group_name",
        )
    return name


def groups_in_force(versions: Iterable[GroupVersion], day: date) -> dict[str, GroupVersion]:
    """Each group's version in force on `day` (groups not yet declared are absent)."""
    current: dict[str, GroupVersion] = {}
    for v in versions:
        if v.valid_from > day:
            continue
        seen = current.get(v.name)
        if seen is None or (v.valid_from, v.version) > (seen.valid_from, seen.version):
            current[v.name] = v
    return current


def group_of(versions: Iterable[GroupVersion], participant: str, day: date) -> str | None:
    """The group `participant` belongs to on `day`, or None."""
    for group in groups_in_force(versions, day).values():
        if participant in group.members:
            return group.name
    return None


def _aligned(group: GroupVersion, participant: str, home: str | None) -> bool:
    return (
        participant in group.members
        or participant in group.allied
        or (home is not None and home in group.allied)
    )


def relation(versions: Sequence[GroupVersion], a: str, b: str, day: date) -> Relation:
    """How `a` stands to `b` on `day` (see the module's rule)."""
    if a == b:
        return Relation.OWN
    current = groups_in_force(versions, day)
    home_a = next((g.name for g in current.values() if a in g.members), None)
    home_b = next((g.name for g in current.values() if b in g.members), None)
    if home_a is not None and home_a == home_b:
        return Relation.OWN
    for group in current.values():
        if _aligned(group, a, home_a) and _aligned(group, b, home_b):
            return Relation.ALLIED
    return Relation.RIVAL


def check_no_overlap(new: GroupVersion, others: Iterable[GroupVersion]) -> None:
    """A participant is in one group at a time: refuse `new` if another group holds a member.

    Compared with the other groups' versions in force on `new.valid_from` and
    every later version of theirs (`group_overlap`).
    """
    others = [o for o in others if o.name != new.name]
    in_force = groups_in_force(others, new.valid_from).values()
    later = [o for o in others if o.valid_from > new.valid_from]
    for other in [*in_force, *later]:
        shared = sorted(new.members & other.members)
        if shared:
            raise ValidationError(
                f"{', '.join(shared)} already belong to group {other.name} "
                f"(version {other.version}, from {other.valid_from})",
                code="group_overlap",
            )
