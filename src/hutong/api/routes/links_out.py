"""What the placements API answers, as documented shapes (issue 17 §6).

`placement_out` (`hutong.api.routes.links`) makes the answer from the
domain's `PlacementView.as_dict`; these structs only document it, and
`tests/api/test_openapi_truth.py` checks real answers against them.
"""

from __future__ import annotations

import msgspec

from hutong.api.documented import CODES, RESULT, AckStatus
from hutong.api.schemas import CorrectionOut
from hutong.links.policy.rules import Treatment

__all__ = [
    "DECLARE_RULE_OPT",
    "PLACE_OPT",
    "POLICIES_OPT",
    "POLICY_HISTORY_OPT",
    "SHOW_OPT",
    "PlacementAck",
    "PlacementOut",
]


class PlacementOut(msgspec.Struct, kw_only=True):
    """An offer placed on a host surface, its short link, QR codes and share text."""

    id: str
    code: str
    host: str
    surface: str
    merchant: str
    sku_id: str
    placed_by: str
    storefront_id: str | None
    title: str
    #: Fen, the offer's price when placed.
    price: int
    source: str
    share_expires_at: str
    url: str
    qr_svg: str
    qr_png: str
    share_text: str


class PlacementAckMessage(msgspec.Struct, kw_only=True):
    ack: AckStatus
    placement: PlacementOut


class PlacementAck(msgspec.Struct, kw_only=True):
    """`{"message": {"ack": {"status": "ACK"}, "placement": …}}`."""

    message: PlacementAckMessage


#: `opt` of `POST /v1/placements`.
PLACE_OPT: dict[str, object] = {
    RESULT: PlacementAck,
    CODES: {
        422: (
            "invalid_surface",
            "invalid_share_code_days",
            "invalid_host",
            "storefront_mismatch",
            "sku_not_in_storefront",
            "no_such_offer",
        ),
        403: ("wrong_role",),
        409: ("storefront_not_approved", "blocked_by_host_policy", "message_id_conflict"),
    },
}
#: `opt` of `GET /v1/placements/{id}`.
SHOW_OPT: dict[str, object] = {RESULT: PlacementOut, CODES: {404: ("unknown_placement",)}}


class RuleScope(msgspec.Struct, kw_only=True):
    """Which of the source's merchants the rule covers (`kind`), naming them where it lists."""

    kind: str
    merchant_ids: list[str]


class LinkRuleOut(msgspec.Struct, kw_only=True):
    """A version of a host's rule for links to a `source` platform (`surfaces` null: all)."""

    host: str
    source: str
    surfaces: list[str] | None
    scope: RuleScope
    treatment: Treatment
    extra_steps: list[str]
    valid_from: str
    valid_until: str | None
    declared_at: str | None
    version: int
    note: str


class RuleReason(msgspec.Struct, kw_only=True):
    reason: str


class RuleAckMessage(msgspec.Struct, kw_only=True):
    ack: AckStatus
    rule: LinkRuleOut
    #: A back-dated version's correction (absent for a plain declaration).
    correction: RuleReason | None = None


class RuleAck(msgspec.Struct, kw_only=True):
    message: RuleAckMessage


class PoliciesOut(msgspec.Struct, kw_only=True):
    """A host's rules in force on `at`, and how many versions it declared in all."""

    host: str
    at: str
    versions: int
    rules_in_force: list[LinkRuleOut]


class LinkRuleVersion(LinkRuleOut, kw_only=True):
    correction: CorrectionOut | None


class PolicyHistoryOut(msgspec.Struct, kw_only=True):
    host: str
    versions: list[LinkRuleVersion]


#: `opt` of `POST /v1/link-policies`.
DECLARE_RULE_OPT: dict[str, object] = {
    RESULT: RuleAck,
    CODES: {
        403: ("wrong_role",),
        409: ("message_id_conflict",),
        422: ("invalid_link_rule", "invalid_correction", "valid_from_in_past"),
    },
}
#: `opt` of `GET /policies/{host}`.
POLICIES_OPT: dict[str, object] = {RESULT: PoliciesOut, CODES: {422: ("invalid_host",)}}
#: `opt` of `GET /policies/{host}/history`.
POLICY_HISTORY_OPT: dict[str, object] = {RESULT: PolicyHistoryOut}
