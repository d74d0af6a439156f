"""What the wallets' and acceptance routes answer, as documented shapes (issue 17 §6), with codes.

`WalletProfile.to_dict`, `acceptance_out` and `checkout.choice_out` make the
answers; these structs only document them.
"""

from __future__ import annotations

import msgspec

from hutong.api.documented import CODES, RESULT
from hutong.api.schemas import CorrectionOut

__all__ = [
    "ACCEPTANCE_OPT",
    "DECLARE_ACCEPTANCE_OPT",
    "OPTIONS_OPT",
    "PROFILE_OPT",
    "WALLETS_OPT",
    "WalletChoiceOut",
]


class FeeOut(msgspec.Struct, kw_only=True):
    """A wallet's fee on one kind of payment: `bps` of the amount plus `fixed` fen."""

    kind: str
    bps: int
    fixed: int


class WalletProfileOut(msgspec.Struct, kw_only=True):
    wallet: str
    currencies: list[str]
    fees: list[FeeOut]


class ProfileAnswer(msgspec.Struct, kw_only=True):
    profile: WalletProfileOut


class WalletsAnswer(msgspec.Struct, kw_only=True):
    wallets: list[WalletProfileOut]


class AcceptanceOut(msgspec.Struct, kw_only=True):
    """One version of a platform's acceptance policy (`accepts` null: every wallet not refused)."""

    platform: str
    version: int
    valid_from: str
    accepts: list[str] | None
    #: Wallet -> why the platform refuses it.
    refused: dict[str, str]
    note: str


class AcceptanceVersion(AcceptanceOut, kw_only=True):
    correction: CorrectionOut | None


class AcceptanceAnswer(msgspec.Struct, kw_only=True):
    policy: AcceptanceOut


class AcceptanceHistoryOut(msgspec.Struct, kw_only=True):
    """A platform's policy in force on `at`, and every version (back-dated corrections marked)."""

    platform: str
    at: str
    in_force: AcceptanceOut | None
    versions: list[AcceptanceVersion]


class WalletRefusalOut(msgspec.Struct, kw_only=True):
    """A wallet removed from the choice: by whose policy, since when, which version, why."""

    wallet: str
    by: str
    since: str
    reason: str
    version: int


class WalletChoiceOut(msgspec.Struct, kw_only=True):
    """The wallets a buyer may choose, and every refusal that removed one."""

    allowed: list[str]
    refused: list[WalletRefusalOut]


class PaymentOptions(WalletChoiceOut, kw_only=True):
    host: str
    merchant: str


PROFILE_OPT: dict[str, object] = {
    RESULT: ProfileAnswer,
    CODES: {
        403: ("wrong_role",),
        409: ("message_id_conflict",),
        422: ("invalid_fee", "unsupported_currency"),
    },
}
WALLETS_OPT: dict[str, object] = {RESULT: WalletsAnswer}
DECLARE_ACCEPTANCE_OPT: dict[str, object] = {
    RESULT: AcceptanceAnswer,
    CODES: {
        403: ("wrong_role",),
        409: ("message_id_conflict",),
        422: ("invalid_policy", "invalid_correction", "valid_from_in_past"),
    },
}
ACCEPTANCE_OPT: dict[str, object] = {RESULT: AcceptanceHistoryOut}
OPTIONS_OPT: dict[str, object] = {RESULT: PaymentOptions, CODES: {404: ("unknown_merchant",)}}
