"""What the transfers API answers, as documented shapes (issue 17 §6), and each step's codes.

`TransferRow.to_dict` makes the answers (the payee masked, no account
references); these structs only document them. A step's 409 codes are read
from the transfer state machine (`transfers.states.TRANSFERS`).
"""

from __future__ import annotations

import msgspec

from hutong.api.documented import CODES, REFUSES, RESULT, SUCCESSES
from hutong.api.routes.payments_out import machine_codes
from hutong.payments.transfers.states import TRANSFERS, TransferEvent, TransferState

__all__ = [
    "EXECUTE_OPT",
    "LOOKUP_OPT",
    "PUBLISH_OPT",
    "QUOTE_OPT",
    "REMOVE_OPT",
    "SHOW_OPT",
    "TransferAnswer",
    "TransferOut",
]


class TransferOut(msgspec.Struct, kw_only=True):
    """A wallet-to-wallet transfer (fen): what the payer pays, what the payee is credited.

    `state`: ``quoted`` (priced, nobody asked), ``asking`` (executed: the
    switch is asking the payer's wallet to reserve, then the payee's to
    confirm; nothing is posted and a hold is not known to the switch until
    the end), then ``committed`` (both sides posted), ``released`` (a wallet
    refused or did not answer, or `expires_at` passed: holds dropped),
    ``failed`` (the payer's wallet refused) or ``expired`` (the quote's
    deadline passed). `expires_at`: the quote's deadline, then the asking's.
    """

    id: str
    state: TransferState
    payer_wallet: str
    payee_wallet: str
    payee_masked: str
    amount: int
    payer_fee: int
    payee_fee: int
    total_debit: int
    credited: int
    expires_at: str
    reason: str
    created_at: str
    updated_at: str


class TransferAnswer(msgspec.Struct, kw_only=True):
    transfer: TransferOut


#: `opt` of `POST /v1/transfers/quote` (429: the wallet's alias-lookup allowance).
QUOTE_OPT: dict[str, object] = {
    RESULT: TransferAnswer,
    REFUSES: (429,),
    CODES: {
        422: (
            "invalid_payee",
            "invalid_payee_token",
            "invalid_amount",
            "invalid_payer",
            "unknown_wallet",
        ),
        404: ("alias_not_found",),
        409: ("alias_ambiguous", "same_wallet", "wallet_does_not_serve", "wallet_inactive"),
        429: ("rate_limited",),
    },
}
#: `opt` of `POST /v1/transfers/{id}/execute`: a wallet's refusal is a NACK with the transfer.
EXECUTE_OPT: dict[str, object] = {
    RESULT: TransferAnswer,
    CODES: {
        403: ("not_the_payer",),
        404: ("unknown_transfer",),
        409: (
            *machine_codes(TRANSFERS, TransferEvent.ASK),
            *machine_codes(TRANSFERS, TransferEvent.COMMIT),
            "ledger_refused",
            "message_id_conflict",
            "message_in_flight",
        ),
        502: ("bad_answer",),
    },
}
#: `opt` of `GET /v1/transfers/{id}`.
SHOW_OPT: dict[str, object] = {
    RESULT: TransferAnswer,
    CODES: {403: ("not_a_party",), 404: ("unknown_transfer",)},
}


class AliasOut(msgspec.Struct, kw_only=True):
    """An alias as its own wallet sees it: masked (never the full phone number), its account."""

    kind: str
    masked: str
    wallet: str
    account: str


class AliasPublished(msgspec.Struct, kw_only=True):
    """201 when published now, 200 when it was already (`created` says which)."""

    alias: AliasOut
    created: bool


class AliasRemoved(msgspec.Struct, kw_only=True):
    removed: AliasOut


class AliasFound(msgspec.Struct, kw_only=True):
    """An alias as a lookup shows it to other wallets: a payee token, never the account."""

    kind: str
    masked: str
    wallet: str
    payee_token: str


class AliasLookup(msgspec.Struct, kw_only=True):
    entries: list[AliasFound]


#: Every alias call is a wallet's (403 `wrong_role`), about an alias it can parse.
_ALIAS = {403: ("wrong_role", "alias_not_owned"), 422: ("invalid_alias",)}
#: `opt` of `POST /v1/aliases`.
PUBLISH_OPT: dict[str, object] = {
    RESULT: AliasPublished,
    SUCCESSES: (200,),
    CODES: {**_ALIAS, 409: ("alias_taken", "message_id_conflict")},
}
#: `opt` of `POST /v1/aliases/remove`.
REMOVE_OPT: dict[str, object] = {
    RESULT: AliasRemoved,
    CODES: {**_ALIAS, 404: ("alias_not_found",), 409: ("message_id_conflict",)},
}
#: `opt` of `POST /v1/aliases/lookup` (429: the wallet's alias-lookup allowance).
LOOKUP_OPT: dict[str, object] = {
    RESULT: AliasLookup,
    REFUSES: (429,),
    CODES: {403: ("wrong_role",), 422: ("invalid_alias",), 429: ("rate_limited",)},
}
