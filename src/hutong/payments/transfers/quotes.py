"""Quoting a transfer: the payee found by alias or payee token, both wallets' fees, a deadline.

The payer's wallet asks what sending an amount to an alias (or to the payee
token a lookup answered, `hutong.payments.transfers.directory.payee_token`) costs; the quote
is recorded ``quoted`` until its deadline, for `hutong.payments.transfers.execute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.payments.fees import TransferQuote, quote_transfer
from hutong.payments.rules import is_amount
from hutong.payments.transfers import directory
from hutong.payments.transfers import store as transfer_store
from hutong.payments.transfers.aliases import Alias, AliasEntry
from hutong.payments.transfers.states import TransferState
from hutong.payments.transfers.store import TransferRow, wallet_infos
from hutong.payments.transfers.wallets import check_wallet, transfer_fees
from hutong.protocol.errors import (
    ConflictError,
    HutongError,
    NotFoundError,
    ValidationError,
)
from hutong.protocol.ids import new_id
from hutong.runtime.exactly_once import Refused, Unanswered, Write
from hutong.runtime.services import Services

#: How long a quote holds unless the payer's wallet says otherwise, and the bounds.
DEFAULT_QUOTE_TTL = 300
MIN_QUOTE_TTL, MAX_QUOTE_TTL = 10, 3600
MAX_ACCOUNT = 255


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    payer: str
    #: The payee: by alias, or by a lookup's payee token (one of the two).
    alias: Alias | None
    amount: int
    payee_wallet: str = ""
    payee_token: str = ""
    ttl_seconds: int = DEFAULT_QUOTE_TTL


async def quote(
    services: Services, sender: str, spec: QuoteRequest
) -> Write[TransferRow | Refused | Unanswered]:
    """`sender` (the payer's wallet) asks what sending `spec.amount` to the alias costs.

    The directory and the wallets are read first; the write (one transaction,
    with the answer: `hutong.runtime.exactly_once.run_once`) spends the
    lookup a quote by alias costs, then records the quote, or keeps the spent
    lookup and answers the refusal (`Refused`: an unknown alias is refused
    only after it was paid for, else quotes would walk the phone numbers).
    Past the allowance it returns 429 ``rate_limited`` as `Unanswered` (it
    has written nothing): no answer is kept and a retry with the same message
    id is quoted afresh. A malformed request is refused before anything is
    spent. Refusals are returned, not raised, so the group commit the write
    shares is not run again write by write.
    """
    invalid = _invalid(sender, spec)
    priced = invalid if invalid is not None else await _priced(services, sender, spec)

    async def write(conn: AsyncConnection) -> TransferRow | Refused | Unanswered:
        if invalid is not None:
            return Refused(invalid)  # the answer, with nothing spent
        if spec.alias is not None:
            limited = await directory.take_lookup(conn, services, sender)
            if limited is not None:
                return Unanswered(limited)
        if isinstance(priced, HutongError):
            return Refused(priced)
        payee, quoted = priced
        now = services.clock()
        transfer = TransferRow(
            id=new_id("trf"),
            payer_wallet=sender,
            payer_account=spec.payer,
            payee_wallet=payee.wallet,
            payee_account=payee.account,
            payee_masked=payee.masked,
            amount=quoted.amount,
            payer_fee=quoted.payer_fee,
            payee_fee=quoted.payee_fee,
            total_debit=quoted.total_debit,
            credited=quoted.credited,
            state=TransferState.QUOTED,
            expires_at=now + timedelta(seconds=spec.ttl_seconds),
            reason="",
            created_at=now,
            updated_at=now,
        )
        await transfer_store.add(conn, transfer)
        return transfer

    return write


def _invalid(sender: str, spec: QuoteRequest) -> HutongError | None:
    """What is wrong with the request itself (refused before any lookup is spent)."""
    if not spec.payer or len(spec.payer) > MAX_ACCOUNT:
        return ValidationError(
            f"payer is the payer's account at {sender}, 1 to {MAX_ACCOUNT} characters",
            code="invalid_payer",
        )
    if not (is_amount(spec.amount) and spec.amount > 0):
        return ValidationError("amount is a positive whole number of fen", code="invalid_amount")
    if not MIN_QUOTE_TTL <= spec.ttl_seconds <= MAX_QUOTE_TTL:
        return ValidationError(
            f"ttl_seconds is {MIN_QUOTE_TTL} to {MAX_QUOTE_TTL}", code="invalid_quote"
        )
    return None


async def _priced(
    services: Services, sender: str, spec: QuoteRequest
) -> tuple[AliasEntry, TransferQuote] | HutongError:
    """The payee and the price; or the refusal (``alias_not_found``, ``wallet_inactive``...)."""
    key = directory.directory_key(services)
    try:
        async with services.db.read() as conn:  # the one query when the wallets are remembered
            if spec.alias is not None:
                entries = await directory.lookup(conn, key, spec.alias)
            else:
                entries = await directory.by_token(conn, key, spec.payee_token)
        found = await wallet_infos(services, sender, *(e.wallet for e in entries))
        check_wallet(found, sender)
        payee = _payee(sender, spec, entries)
        payer_fees, payee_fees = transfer_fees(found, sender, payee.wallet)
        return payee, quote_transfer(spec.amount, payer_fees, payee_fees)
    except HutongError as refusal:
        if refusal.kind.transient:
            raise
        return refusal


def _payee(sender: str, spec: QuoteRequest, entries: tuple[AliasEntry, ...]) -> AliasEntry:
    """The one entry the transfer goes to (``alias_not_found``, ``alias_ambiguous``...)."""
    named = "the payee token's alias" if spec.alias is None else str(spec.alias)
    if not entries:
        raise NotFoundError(f"no wallet has published {named}", code="alias_not_found")
    if spec.payee_wallet:
        entries = tuple(e for e in entries if e.wallet == spec.payee_wallet)
        if not entries:
            raise NotFoundError(
                f"{spec.payee_wallet} has not published {named}", code="alias_not_found"
            )
    if len(entries) > 1:
        wallets = ", ".join(e.wallet for e in entries)
        raise ConflictError(
            f"{named} is registered at several wallets ({wallets}): say payee_wallet",
            code="alias_ambiguous",
        )
    (payee,) = entries
    if payee.wallet == sender:
        raise ConflictError(
            "the payee is at your own wallet: a transfer within one wallet is not switched",
            code="same_wallet",
        )
    return payee
