"""Who is own, allied or rival to whom, for the audited window.

Link resolutions name platforms by alias (`wechat`), everything else by
subscriber id (`wechat.example`); both are compared by alias here
(`hutong.links.hosts.alias`). The relation is the one in force on the
window's last day (`hutong.registry.groups.relation`); allied is reported
apart from own and never counted as own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from hutong.links.hosts import alias
from hutong.registry.groups import GroupVersion, Relation, group_of, groups_in_force, relation

__all__ = ["Parties", "Relation"]


def _by_alias(version: GroupVersion) -> GroupVersion:
    return GroupVersion(
        name=version.name,
        version=version.version,
        valid_from=version.valid_from,
        members=frozenset(alias(m) for m in version.members),
        allied=frozenset(alias(a) for a in version.allied),
    )


@dataclass(frozen=True, slots=True)
class Parties:
    versions: tuple[GroupVersion, ...]
    day: date

    @classmethod
    def of(cls, versions: Sequence[GroupVersion], day: date) -> Parties:
        return cls(tuple(_by_alias(v) for v in versions), day)

    def relation(self, a: str, b: str) -> Relation:
        return relation(self.versions, alias(a), alias(b), self.day)

    def group(self, party: str) -> str | None:
        return group_of(self.versions, alias(party), self.day)

    def siblings(self, party: str) -> frozenset[str]:
        """The other members (by alias) of the party's group on the day (none outside one)."""
        name = self.group(party)
        group = groups_in_force(self.versions, self.day).get(name) if name else None
        return (group.members if group else frozenset()) - {alias(party)}

    def label(self, party: str) -> str:
        """The party's group name, or the party itself when it is in none."""
        return self.group(party) or party
