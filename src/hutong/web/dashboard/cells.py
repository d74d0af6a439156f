"""What one cell of the interconnection matrix says, and the openness index. Pure code.

A link cell is one host × source pair on one day. The host's decisions on
every surface (`PolicyHistory.decide`) are grouped into one status:

- ``open``: the source's page opens (open, deep link or mini-program), no extra step;
- ``extra_steps``: it opens, but after a warning page, a copy-paste, ...;
- ``code_only``: only a share code (淘口令) gets through;
- ``blocked``: nothing gets through;
- ``undeclared``: the host declared nothing for this source on any surface
  that day (open by default, `Basis.UNDECLARED`);
- ``own``: the host's own links (source == host), always open.

Only declared surfaces count: silence on one surface does not outvote a
block declared on three others. Among the declared surfaces the cell shows
the most open status (``open`` > ``extra_steps`` > ``code_only`` >
``blocked``) and lists the surfaces that are more closed than that, so
"open in chats, code only on the timeline" reads as ``open`` with the
timeline named as the exception.

Openness index of a day, over the host × source pairs (host ≠ source)::

    index = Σ weight(pair) · score(status) / Σ weight(pair)
    score: open, undeclared 1; extra_steps 0.5; code_only, blocked 0
    weight(pair) = 1 + link resolutions observed for the pair

so pairs with traffic count more, and a network without traffic is the
plain share of open pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from hutong.links.policy import Basis, Decision, Treatment

__all__ = ["LinkCell", "Status", "link_cell", "openness_index"]


class Status(StrEnum):
    OPEN = "open"
    EXTRA_STEPS = "extra_steps"
    CODE_ONLY = "code_only"
    BLOCKED = "blocked"
    UNDECLARED = "undeclared"
    OWN = "own"

    @property
    def label(self) -> str:
        """The words shown in the cell (the colour is never the only sign)."""
        return _LABELS[self]

    @property
    def score(self) -> float:
        return _SCORES[self]


_LABELS = {
    Status.OPEN: "open",
    Status.EXTRA_STEPS: "extra steps",
    Status.CODE_ONLY: "code only",
    Status.BLOCKED: "blocked",
    Status.UNDECLARED: "open (undeclared)",
    Status.OWN: "own links",
}
_SCORES = {
    Status.OPEN: 1.0,
    Status.UNDECLARED: 1.0,
    Status.OWN: 1.0,
    Status.EXTRA_STEPS: 0.5,
    Status.CODE_ONLY: 0.0,
    Status.BLOCKED: 0.0,
}
#: Most open first: the order in which declared surfaces are compared.
_OPENNESS = (Status.OPEN, Status.EXTRA_STEPS, Status.CODE_ONLY, Status.BLOCKED)


def status_of(decision: Decision) -> Status:
    """The status of one decision on one surface."""
    if decision.basis is Basis.OWN_LINK:
        return Status.OWN
    if decision.basis is Basis.UNDECLARED:
        return Status.UNDECLARED
    if decision.treatment is Treatment.BLOCKED:
        return Status.BLOCKED
    if decision.treatment is Treatment.SHARE_CODE_ONLY:
        return Status.CODE_ONLY
    return Status.EXTRA_STEPS if decision.extra_steps else Status.OPEN


@dataclass(frozen=True, slots=True)
class LinkCell:
    host: str
    source: str
    status: Status
    #: Surfaces more closed than the cell's status, with theirs: (surface, status).
    exceptions: tuple[tuple[str, Status], ...]
    #: The versions of the host's rules that decided the cell's surfaces.
    versions: tuple[int, ...]

    @property
    def label(self) -> str:
        return self.status.label


def link_cell(host: str, source: str, decisions: Iterable[Decision]) -> LinkCell:
    """One cell from the host's decisions for `source` on every surface of one day."""
    by_surface = [(str(d.surface), status_of(d), d) for d in decisions]
    if source == host:
        return LinkCell(host, source, Status.OWN, (), ())
    declared = [(s, st, d) for s, st, d in by_surface if d.declared]
    if not declared:
        return LinkCell(host, source, Status.UNDECLARED, (), ())
    best = min((st for _, st, _ in declared), key=_OPENNESS.index)
    exceptions = tuple(
        (surface, st) for surface, st, _ in declared if _OPENNESS.index(st) > _OPENNESS.index(best)
    )
    versions = tuple(sorted({d.rule.version for _, _, d in declared if d.rule is not None}))
    return LinkCell(host, source, best, exceptions, versions)


def openness_index(
    cells: Iterable[LinkCell], traffic: Mapping[tuple[str, str], int] | None = None
) -> float | None:
    """The traffic-weighted share of open host × source pairs (module docstring); None if none."""
    total = weighted = 0.0
    for cell in cells:
        if cell.status is Status.OWN:
            continue
        weight = 1.0 + float((traffic or {}).get((cell.host, cell.source), 0))
        total += weight
        weighted += weight * cell.status.score
    return None if total == 0 else weighted / total
