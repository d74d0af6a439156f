"""What the resolver answers for a placement in a host context. Pure code.

Given the offer's targets and the host's decision, choose the answer:
an in-app H5 page (302), a deep link (302 for a browser, JSON for an app),
a mini-program target (JSON for an app, a page for a browser), a page with
the share code to copy, or a page that says plainly who blocks the link
and since when. Extra steps the host forces (a warning page, copy to a
browser) turn a redirect into a page that shows them before the link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hutong.links.policy import Decision, Treatment


class Answer(StrEnum):
    REDIRECT = "redirect"  # 302 to a URL
    JSON = "json"  # a target for an app
    PAGE = "page"  # an HTML page for a person


@dataclass(frozen=True, slots=True)
class Targets:
    h5_url: str
    deep_link: str | None = None
    mini_program_app_id: str | None = None
    mini_program_path: str | None = None
    #: A mini-program URL link valid now (renewed by the caller), if any.
    mini_program_url: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    answer: Answer
    #: What happened, for the event: open, deep_link, mini_program,
    #: share_code_only, blocked, or the fallback taken.
    outcome: str
    url: str | None = None
    #: Template of the page to render (when answer is PAGE).
    page: str = ""
    #: Data for the JSON answer or the page.
    data: dict[str, object] = field(default_factory=dict)


def plan(decision: Decision, targets: Targets, share_text: str, *, wants_json: bool) -> Plan:
    """The answer to give; falls back to the share code where a target is missing."""
    treatment = decision.treatment
    steps = [step.value for step in decision.extra_steps]
    base: dict[str, object] = {
        "host": decision.host,
        "source": decision.source,
        "surface": decision.surface.value,
        "treatment": treatment.value,
        "extra_steps": steps,
        "rule": decision.explain() if decision.rule is not None else "",
        "since": decision.since.isoformat() if decision.since else None,
    }
    if treatment is Treatment.BLOCKED:
        return Plan(
            Answer.PAGE, "blocked", page="blocked.html", data=base | {"share_text": share_text}
        )
    if treatment is Treatment.SHARE_CODE_ONLY:
        return Plan(
            Answer.PAGE,
            "share_code_only",
            page="share_code.html",
            data=base | {"share_text": share_text},
        )
    if treatment is Treatment.MINI_PROGRAM and targets.mini_program_app_id:
        target = {
            "app_id": targets.mini_program_app_id,
            "path": targets.mini_program_path or "",
            "url_link": targets.mini_program_url,
        }
        if wants_json:
            return Plan(Answer.JSON, "mini_program", data=base | {"mini_program": target})
        return Plan(
            Answer.PAGE,
            "mini_program",
            page="mini_program.html",
            data=base | {"mini_program": target, "share_text": share_text},
        )
    if treatment is Treatment.DEEP_LINK and targets.deep_link:
        if wants_json:
            return Plan(
                Answer.JSON,
                "deep_link",
                url=targets.deep_link,
                data=base | {"deep_link": targets.deep_link},
            )
        return _redirect_or_steps("deep_link", targets.deep_link, steps, base, share_text)
    if treatment in (Treatment.MINI_PROGRAM, Treatment.DEEP_LINK):
        # The host wants a target this offer does not have: the H5 page is
        # the neutral fallback (the event records which was served), given to
        # an app as JSON like any open link.
        outcome = f"{treatment.value}_fallback_open"
    else:
        outcome = "open"
    if wants_json:
        return Plan(Answer.JSON, outcome, url=targets.h5_url, data=base | {"url": targets.h5_url})
    return _redirect_or_steps(outcome, targets.h5_url, steps, base, share_text)


def _redirect_or_steps(
    outcome: str, url: str, steps: list[str], base: dict[str, object], share_text: str
) -> Plan:
    if steps:
        return Plan(
            Answer.PAGE,
            outcome,
            url=url,
            page="extra_steps.html",
            data=base | {"url": url, "share_text": share_text},
        )
    return Plan(Answer.REDIRECT, outcome, url=url, data=base)
