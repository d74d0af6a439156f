"""What the resolver answers for a placement in a host context. Pure code.

Given the offer's targets and the host's decision, choose the answer:
an in-app H5 page (302), a deep link (302 for a browser, JSON for an app),
a mini-program target (JSON for an app, a page for a browser), the share
code to copy (a page, or JSON for an app: a legitimate answer, not a
refusal), or a refusal that says plainly who blocks the link and since when
(`LinkBlocked`, ``link_blocked``: a page for a browser, JSON for an app; the
HTTP layer answers both with the refusal's status, 403). Extra steps the host
forces (a warning page, copy to a browser) turn a redirect into a page that
shows them before the link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hutong.links.policy import Decision, Treatment
from hutong.protocol.errors import ForbiddenError


class LinkBlocked(ForbiddenError):
    """The host blocks this link here: ``link_blocked``, naming who, since when, by which rule.

    ``link`` is what the resolver knows of the answer (host, source, surface,
    rule, since, and the share code that still reaches the offer); the NACK
    carries it as its ``link`` member.
    """

    code = "link_blocked"

    def __init__(self, link: Mapping[str, object]) -> None:
        since = f" since {link['since']}" if link.get("since") else ""
        rule = f" ({link['rule']})" if link.get("rule") else ""
        super().__init__(
            f"{link['host']} blocks links to {link['source']} on {link['surface']}{since}{rule}."
        )
        self.link = dict(link)

    def body(self) -> dict[str, Any]:
        return super().body() | {"link": self.link}


class Answer(StrEnum):
    REDIRECT = "redirect"  # 302 to a URL
    JSON = "json"  # a target for an app
    PAGE = "page"  # an HTML page for a person
    REFUSED = "refused"  # a refusal for an app (`Plan.refusal`)


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

    @property
    def refusal(self) -> LinkBlocked | None:
        """What a blocked answer refuses (an app gets it as JSON, a browser as a page)."""
        return (
            LinkBlocked(self.data | {"outcome": self.outcome})
            if self.outcome == "blocked"
            else None
        )


def plan(
    decision: Decision,
    targets: Targets,
    share_text: str,
    *,
    wants_json: bool,
    explanation: str | None = None,
) -> Plan:
    """The answer to give; falls back to the share code where a target is missing.

    `explanation` is the decision's sentence when the caller has it already
    (`Decision.explain()`, "" when no rule decided).
    """
    treatment = decision.treatment
    steps = [step.value for step in decision.extra_steps]
    if explanation is None:
        explanation = decision.explain() if decision.rule is not None else ""
    base: dict[str, object] = {
        "host": decision.host,
        "source": decision.source,
        "surface": decision.surface.value,
        "treatment": treatment.value,
        "extra_steps": steps,
        "rule": explanation,
        "since": decision.since.isoformat() if decision.since else None,
    }
    if treatment is Treatment.BLOCKED:
        return Plan(
            Answer.REFUSED if wants_json else Answer.PAGE,
            "blocked",
            page="" if wants_json else "blocked.html",
            data=base | {"share_text": share_text},
        )
    if treatment is Treatment.SHARE_CODE_ONLY:
        return Plan(
            Answer.JSON if wants_json else Answer.PAGE,
            "share_code_only",
            page="" if wants_json else "share_code.html",
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
