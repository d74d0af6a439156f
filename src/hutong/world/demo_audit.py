"""The demo's audit step: the regulator reads the auditor's findings on the demo's own history.

The regulator (an auditor) asks `GET /v1/audit/findings` for the day the
demo ran, signed with its key, as any auditor would. The answer is printed
as it is: the findings (check, subject, against), and the cells the
auditor could not judge with why. The demo's traffic is a handful of
events per party, so most cells are inconclusive (below the minimum
sample, or nothing of the host's own to compare); the step says so rather
than pretending more.

What it cannot see yet: the seed world's dated link history is replayed
with `at=` (what-if resolutions, `link_what_if_resolutions`), which the
auditor does not read, so the seed policies' blocked links are not in its
evidence; Douyin's 20% external-link rate needs `fee_discrimination` (not
registered yet) and an order through a Douyin external link (the demo's
Douyin order goes through JD Beauty's storefront at 5%).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hutong.world.story import Stage, expect, expect_status

REGULATOR = "regulator.example"


def _short(name: str) -> str:
    return name.removesuffix(".example")


async def regulator_reads_the_findings(stage: Stage) -> str:
    today = stage.services.clock().date()
    path = f"/v1/audit/findings?from={today}&to={today + timedelta(days=1)}"
    response = await stage.client(REGULATOR).get(path)
    expect_status(response, 200)
    answer = response.json()
    expect(answer["checks_run"] >= 1, f"no check ran: {answer}")
    found = [
        f"{f['check']} {_short(f['subject'])} vs {','.join(map(_short, f['against']))}"
        + (f" ({f['surface']})" if f["surface"] else "")
        for f in answer["findings"]
    ]
    undecided = Counter(f"{i['check']} {_short(i['subject'])}" for i in answer["inconclusive"])
    unsure = ", ".join(f"{cell} x{n}" if n > 1 else cell for cell, n in sorted(undecided.items()))
    return (
        f"{answer['checks_run']} checks over today's traffic: "
        f"{len(found)} finding(s){': ' + '; '.join(found) if found else ''}; "
        f"{len(answer['inconclusive'])} inconclusive{': ' + unsure if unsure else ''}"
    )
