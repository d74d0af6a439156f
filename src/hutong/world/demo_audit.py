"""The demo's audit step: the regulator reads the auditor's findings on the demo's own history.

The regulator (an auditor) asks `GET /v1/audit/findings`, signed with its
key as any auditor would, for the demo's whole history: from the first day
of the seed world's dated policies (`HISTORY_FROM`, WeChat's 2013 share-code
rule) to tomorrow. The demo's traffic is a handful of events per party, far
below any check's minimum sample; what it does hold is the platforms'
declared policies, which the checks judge on the declaration:

* the seed link rules' blocks (`link_blocking`): WeChat's share-code-only
  Taobao links (2013), Douyin's live-cart block of Taobao, Tmall and JD
  (2020), Kuaishou's cut of third-party store services (2021) and of
  Taobao, Tmall and JD links (2022);
* Douyin's schedule (`fee_discrimination`): 20% on external links against
  5% in its own store, a ratio of 4.0.

The answer is printed grouped by check and subject (with the groups
against and how many surfaces), then how many cells were inconclusive.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from hutong.world.link_policies import SEED_LINK_RULES
from hutong.world.story import Stage, expect, expect_status

__all__ = ["HISTORY_FROM", "REGULATOR", "regulator_reads_the_findings", "summarize"]

REGULATOR = "regulator.example"
#: The first day of the seed world's dated history.
HISTORY_FROM = min(rule.valid_from for rule in SEED_LINK_RULES)


def _short(name: str) -> str:
    return name.removesuffix(".example")


def summarize(findings: list[dict[str, Any]]) -> list[str]:
    """One line per check x subject: the groups against, and the surfaces when several."""
    against: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    surfaces: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for f in findings:
        key = (f["check"], _short(f["subject"]))
        against[key].update(map(_short, f["against"]))
        surfaces[key].add(f["surface"] or "every surface")
    lines = []
    for (check, subject), groups in sorted(against.items()):
        where = surfaces[(check, subject)]
        shown = f"{len(where)} surfaces" if len(where) > 1 else next(iter(where))
        lines.append(f"{check} {subject} vs {','.join(sorted(groups))} ({shown})")
    return lines


async def regulator_reads_the_findings(stage: Stage) -> str:
    tomorrow = stage.services.clock().date() + timedelta(days=1)
    path = f"/v1/audit/findings?from={HISTORY_FROM}&to={tomorrow}"
    response = await stage.client(REGULATOR).get(path)
    expect_status(response, 200)
    answer = response.json()
    expect(answer["checks_run"] >= 1, f"no check ran: {answer}")
    found = summarize(answer["findings"])
    return (
        f"{answer['checks_run']} checks over {HISTORY_FROM}..{tomorrow}: "
        f"{len(answer['findings'])} finding(s): {'; '.join(found) or 'none'}; "
        f"{len(answer['inconclusive'])} inconclusive (too few events)"
    )
