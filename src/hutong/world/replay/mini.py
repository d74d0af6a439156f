"""The mini-program facts acted: offers with their target, the host's rule, a placed link.

The day before a mini-program's first day (`hutong.world.mini_programs`)
its merchant republishes its offer with the mini-program target and the
host places its link on the fact's surface; on the first day the host's
rule (declared then when the seed rules do not) makes that link open the
mini-program. From then on, on the 1st of each month, ``volume`` buyers
open each such link in the host: the switch answers with the mini-program
(a page for a browser), never the H5 page::

    visits(month) = volume * len(mini-program links placed)
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hutong.world.mini_programs import MINI_PROGRAMS, MiniProgram
from hutong.world.replay.acts import Act, post
from hutong.world.replay.cast import OFFERS, offer_of
from hutong.world.synth.network import Network

__all__ = ["mini_program_acts", "visit_mini_programs"]


def _launch(mini: MiniProgram) -> Any:
    async def do(net: Network, state: dict[str, Any]) -> None:
        offer = offer_of(mini.merchant) | {
            "mini_program_app_id": mini.app_id,
            "mini_program_path": mini.path,
        }
        await net.act(mini.merchant, "offer", "/v1/offers", {"offers": [offer]})
        body = {
            "host": mini.host,
            "surface": mini.surface.value,
            "merchant": mini.merchant,
            "sku_id": OFFERS[mini.merchant][0],
        }
        answer = await net.act(mini.host, "placement", "/v1/placements", body)
        if answer is not None:
            key = (mini.host, mini.surface.value, mini.merchant)
            state.setdefault("mini_programs", {})[key] = answer["message"]["placement"]["code"]

    return do


def mini_program_acts() -> list[Act]:
    found: list[Act] = []
    for mini in MINI_PROGRAMS:
        if mini.rule is not None:
            body = {k: v for k, v in mini.rule.to_dict().items() if k not in ("host", "version")}
            found.append(
                Act(
                    mini.rule.declared_at or mini.rule.valid_from,
                    f"link rule {mini.rule.host}→{mini.rule.source}",
                    post(mini.host, "link_policy", "/v1/link-policies", body),
                )
            )
        # The link is there the day before, as the lanes' are: the rule changes its answer.
        day = mini.valid_from - timedelta(days=1)
        found.append(Act(day, f"mini-program {mini.owner} in {mini.host}", _launch(mini)))
    return found


async def visit_mini_programs(
    net: Network, today: date, volume: int, links: dict[tuple[str, str, str], str]
) -> int:
    """The month's mini-program link visits (on the 1st); how many."""
    if today.day != 1:
        return 0
    visits = 0
    for (host, surface, _merchant), code in sorted(links.items()):
        for _ in range(volume):
            params = {"host": host.split(".", 1)[0], "surface": surface}
            await net.visit("mini_program_visit", f"/l/{code}", params)
            visits += 1
    return visits
