"""Exchanging a member's points at program A for program B's benefit: both or neither.

An exchange runs in three steps, because program B is asked in the middle:

1. one transaction holds the points (a pending ledger transfer) and writes
   the exchange row in state ``held``; the member's points account is locked
   first, so the daily cap counts every exchange of that member today,
   committed or still held, and two concurrent exchanges cannot both pass it;
2. program B is asked to ``issue`` (a signed decision call, message id
   ``<exchange id>.issue``, so B never issues twice for one exchange);
3. on B's yes, one transaction posts the points and the money obligation
   (linked), marks the exchange ``committed`` and tells both programs; on a
   refusal or no answer, the points are voided, the exchange is
   ``cancelled`` (durably, before the caller is answered) and both programs
   are told, so a B that issued but whose answer was lost revokes it.

The exchange id is derived from the sender and its message id, so a retried
request finds the exchange of its first attempt instead of holding points
again: a held one is resumed (B answers the same message id the same way), a
committed one is answered again, a cancelled one is final (409
``exchange_cancelled``; a new message id is a new exchange). Exchanges left
``held`` by a crash between the steps are cancelled by `expire_due` once
their deadline passes; the ledger's own hold timeout is a later backstop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.locks import lock_accounts
from hutong.ledger.models import Result
from hutong.ledger.store import get_account
from hutong.net.calls import CallFailed, CallRefused
from hutong.net.transport import CallTransport
from hutong.payments import legs
from hutong.payments.calls import ask_wallet
from hutong.payments.points.cancelling import cancel, cancel_in, cancelled_refusal, notify
from hutong.payments.points.programs import (
    MAX_INT32,
    MAX_TEXT,
    check_member,
    exchange_id_for,
    held_window,
    require_program,
)
from hutong.payments.points.refusals import Declaration, refusal_in_force, refused_by
from hutong.payments.points.rules import ExchangeQuote, check_exchange
from hutong.payments.points.store import (
    ExchangeRow,
    ExchangeState,
    OfferRow,
    get_exchange,
    get_offer,
    insert_exchange,
    mark_committed,
    require_exchange,
    require_offer,
    used_today,
)
from hutong.payments.posting import LedgerRefused, ensure_accounts, post
from hutong.payments.rules import is_amount
from hutong.protocol.errors import (
    ConflictError,
    ForbiddenError,
    HutongError,
    Kind,
    ValidationError,
)
from hutong.registry.models import Role, Status
from hutong.registry.service import require_participant
from hutong.runtime.exactly_once import Refused, Write
from hutong.runtime.services import Services


async def _named_offer(conn: AsyncConnection, offer_id: str) -> OfferRow:
    """The offer an exchange's body names, or 422 ``no_such_offer``: the body's mistake
    (``unknown_offer`` stays the 404 of the routes whose path names an offer)."""
    offer = await get_offer(conn, offer_id)
    if offer is None:
        raise ValidationError(f"no points offer {offer_id}", code="no_such_offer")
    return offer


async def readable_exchange(services: Services, reader: str, exchange_id: str) -> ExchangeRow:
    """The exchange, for its two programs and auditors."""
    async with services.db.read() as conn:
        exchange = await require_exchange(conn, exchange_id)
        participant = await require_participant(conn, reader)
    if reader in (exchange.program_from, exchange.program_to) or participant.has_role(Role.AUDITOR):
        return exchange
    raise ForbiddenError(f"{reader} is not a party of exchange {exchange_id}", code="not_a_party")


def _quote(offer: OfferRow, used: int, quantity: int, available: int | None) -> ExchangeQuote:
    return check_exchange(offer.terms(), used, quantity, points_balance=available)


@dataclass(frozen=True, slots=True)
class NewExchange:
    offer_id: str
    member: str
    beneficiary: str
    quantity: int
    #: The issuing program the sender means (optional; when given, the offer must be its).
    #: A program that declared it refuses the sender's exchanges is named in the refusal
    #: even when it published no offer (`hutong.payments.points.refusals`).
    program_to: str = ""


def _same_request(exchange: ExchangeRow, spec: NewExchange, message_id: str) -> None:
    asked = (spec.offer_id, spec.member, spec.beneficiary, spec.quantity)
    if asked != (exchange.offer_id, exchange.member, exchange.beneficiary, exchange.quantity):
        raise ConflictError(
            f"message id {message_id} was already used for another exchange",
            code="message_id_conflict",
        )


def _check_exchange_request(spec: NewExchange) -> None:
    check_member(spec.member)
    if not 0 < len(spec.beneficiary) <= MAX_TEXT:
        raise ValidationError(
            f"beneficiary (the member's account at the issuing program) is 1 to {MAX_TEXT}"
            " characters",
            code="invalid_beneficiary",
        )
    if not (is_amount(spec.quantity) and 0 < spec.quantity <= MAX_INT32):
        raise ValidationError(
            f"quantity is a positive whole number: {spec.quantity!r}", code="invalid_quantity"
        )


async def _ensure_exchange_accounts(services: Services, offer: OfferRow, member: str) -> None:
    await ensure_accounts(
        services.db,
        [
            *legs.program_accounts(offer.program_from),
            *legs.program_accounts(offer.program_to),
            legs.member_account(offer.program_from, member),
        ],
        services.clock(),
    )


async def _hold(
    services: Services, exchange_id: str, offer: OfferRow, spec: NewExchange, message_id: str
) -> ExchangeRow:
    """Step 1, idempotent: the exchange row (held) and the points hold, in one transaction."""
    program, member = offer.program_from, spec.member
    try:
        async with services.db.transaction() as conn:
            now = services.clock()
            # The member's points account is the lock every exchange of theirs takes
            # first: whoever comes second counts the first one's row below.
            await lock_accounts(conn, [legs.member_points(program, member)])
            earlier = await get_exchange(conn, exchange_id)
            if earlier is not None:
                _same_request(earlier, spec, message_id)
                return earlier
            current = await require_offer(conn, offer.id)
            if not current.active:
                raise ConflictError(f"offer {offer.id} was withdrawn", code="offer_withdrawn")
            day = now.astimezone(UTC).date()
            used = await used_today(conn, offer.id, member, day)
            quote = _quote(current, used, spec.quantity, None)
            exchange = ExchangeRow(
                id=exchange_id,
                offer_id=offer.id,
                program_from=program,
                program_to=current.program_to,
                benefit=current.benefit,
                member=member,
                beneficiary=spec.beneficiary,
                quantity=spec.quantity,
                points_debit=quote.points_debit,
                money_owed=quote.money_owed_fen,
                state=ExchangeState.HELD,
                day=day,
                benefit_ref="",
                reason="",
                created_at=now,
                updated_at=now,
            )
            await insert_exchange(conn, exchange)
            await post(
                conn,
                legs.hold_points(
                    exchange_id, program, member, quote.points_debit, held_window(services.settings)
                ),
                now,
                refusals={
                    Result.EXCEEDS_CREDITS: (
                        "insufficient_points",
                        f"{quote.points_debit} {legs.points_asset(program)} needed;"
                        f" {member} has fewer available",
                    )
                },
            )
            return exchange
    except IntegrityError:  # the same exchange written meanwhile by a concurrent retry
        async with services.db.read() as conn:
            earlier = await get_exchange(conn, exchange_id)
        if earlier is None:
            raise
        _same_request(earlier, spec, message_id)
        return earlier


def _no_answer(failure: CallFailed) -> HutongError:
    """No answer from program B: 504 when it timed out, 502 otherwise (never recorded)."""
    if failure.code == "participant_timeout":
        return CallFailed(failure.message, code=failure.code, kind=Kind.UPSTREAM_TIMEOUT)
    return failure


async def exchange(
    services: Services,
    http: CallTransport,
    sender: str,
    message_id: str,
    spec: NewExchange,
) -> Write[ExchangeRow | Refused]:
    """`sender` (program A) exchanges its member's points for `spec.offer_id`'s benefit."""
    if not message_id:
        raise ValidationError("an exchange needs context.message_id", code="missing_message_id")
    await require_program(services, sender)
    _check_exchange_request(spec)
    exchange_id = exchange_id_for(sender, message_id)
    today = services.clock().astimezone(UTC).date()
    async with services.db.read() as conn:
        held = await get_exchange(conn, exchange_id)
        if held is None and spec.program_to:
            declared = await refusal_in_force(conn, spec.program_to, sender, today)
            if declared is not None:
                return _refused(declared)
        offer = await _named_offer(conn, spec.offer_id)
        declared = None
        if held is None:
            declared = await refusal_in_force(conn, offer.program_to, offer.program_from, today)
    if sender != offer.program_from:
        raise ForbiddenError(
            f"only {offer.program_from} exchanges its members' points for this offer",
            code="not_a_party",
        )
    if spec.program_to and spec.program_to != offer.program_to:
        raise ValidationError(
            f"offer {offer.id} is {offer.program_to}'s, not {spec.program_to}'s",
            code="program_mismatch",
        )
    if declared is not None:
        return _refused(declared)
    if held is None:
        if not offer.active:
            raise ConflictError(f"offer {offer.id} was withdrawn", code="offer_withdrawn")
        now = services.clock()
        async with services.db.read() as conn:
            issuer = await require_participant(conn, offer.program_to)
            used = await used_today(conn, offer.id, spec.member, now.astimezone(UTC).date())
            account = await get_account(conn, legs.member_points(offer.program_from, spec.member))
        if issuer.status is not Status.ACTIVE:
            raise ConflictError(
                f"{offer.program_to} is {issuer.status.value}", code="program_inactive"
            )
        _quote(offer, used, spec.quantity, 0 if account is None else account.available)
        await _ensure_exchange_accounts(services, offer, spec.member)
        held = await _hold(services, exchange_id, offer, spec, message_id)
    else:
        _same_request(held, spec, message_id)
        # Resuming after a crash, perhaps on another worker: step 3 needs them too.
        await _ensure_exchange_accounts(services, offer, spec.member)
    if held.state is ExchangeState.CANCELLED:
        raise cancelled_refusal(held)
    if held.state is ExchangeState.HELD:
        benefit_ref = await _ask_issuer(services, http, held)
    else:
        benefit_ref = held.benefit_ref

    async def write(conn: AsyncConnection) -> ExchangeRow | Refused:
        now = services.clock()
        current = await require_exchange(conn, exchange_id, lock=True)
        if current.state is ExchangeState.COMMITTED:  # a concurrent retry finished it
            return current
        if current.state is ExchangeState.CANCELLED:  # expired meanwhile; B is told to revoke
            raise cancelled_refusal(current)
        try:
            await post(
                conn,
                legs.settle_exchange(
                    current.id,
                    current.program_from,
                    current.program_to,
                    current.money_owed,
                    commit=True,
                ),
                now,
                refusals={
                    Result.PENDING_TRANSFER_EXPIRED: (
                        "exchange_expired",
                        "the points hold lapsed before the exchange could commit",
                    )
                },
            )
        except LedgerRefused as refusal:  # neither: void what is left, B revokes
            await cancel_in(conn, current, refusal.message, now)
            return Refused(refusal)
        await mark_committed(conn, current.id, benefit_ref, now)
        committed = await require_exchange(conn, current.id)
        await notify(conn, committed, now)
        return committed

    return write


def _refused(declaration: Declaration) -> Write[ExchangeRow | Refused]:
    """The answer to an exchange the issuing program refuses by declaration: nothing held."""

    async def write(conn: AsyncConnection) -> ExchangeRow | Refused:
        return Refused(refused_by(declaration), extra={"declaration": declaration.to_dict()})

    return write


async def _ask_issuer(services: Services, http: CallTransport, held: ExchangeRow) -> str:
    """Step 2: program B issues the benefit (its reference), or the exchange is cancelled."""
    try:
        answer = await ask_wallet(
            services,
            http,
            held.program_to,
            "issue",
            {
                "exchange_id": held.id,
                "member": held.beneficiary,
                "benefit": held.benefit,
                "quantity": held.quantity,
            },
            f"{held.id}.issue",
            on_behalf_of=held.program_from,
        )
    except CallRefused as refusal:
        await cancel(
            services, held.id, f"{held.program_to} refused: {refusal.code}: {refusal.message}"
        )
        raise ConflictError(refusal.message, code=refusal.code) from None
    except CallFailed as failure:
        await cancel(services, held.id, f"no answer from {held.program_to}: {failure.message}")
        raise _no_answer(failure) from None
    benefit_ref = answer.get("benefit_ref")
    if not isinstance(benefit_ref, str) or not 0 < len(benefit_ref) <= MAX_TEXT:
        await cancel(services, held.id, f"{held.program_to} answered without a benefit_ref")
        raise CallFailed(
            f"{held.program_to} answered issue without a usable benefit_ref", code="bad_answer"
        )
    return benefit_ref
