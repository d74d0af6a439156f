"""Points exchange between membership programs: offers, grants, exchanges, expiry.

A program (``program_to``, e.g. Tencent Video) publishes what members of
another program (``program_from``, e.g. 88VIP) get for their points
(`hutong.payments.exchange.ExchangeOffer`). Programs credit points to their
own members (grants). An exchange debits a member's points at program A,
asks program B to issue the benefit, and commits both or neither; what A
owes B for it is a CNY ledger entry between the programs' positions, settled
with everything else.

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

This module is the service: the checks, the three steps, grants, balances and
the deadline sweep. The rows and their SQL are in `hutong.payments.points_store`.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.config import Settings
from hutong.events.outbox import enqueue
from hutong.ledger.locks import lock_accounts
from hutong.ledger.models import Result
from hutong.ledger.store import apply_batches, get_account
from hutong.net.calls import CallFailed, CallRefused
from hutong.net.transport import CallTransport
from hutong.payments import legs, service
from hutong.payments.exchange import ExchangeQuote, check_exchange
from hutong.payments.points_store import (
    ExchangeRow,
    ExchangeState,
    OfferRow,
    deactivate_offer,
    get_exchange,
    held_since,
    insert_exchange,
    insert_offer,
    mark_cancelled,
    mark_committed,
    offer_fields,
    require_exchange,
    require_offer,
    select_offers,
    used_today,
)
from hutong.payments.posting import LedgerRefused, ensure_accounts, post
from hutong.payments.states import is_amount
from hutong.protocol.errors import (
    ConflictError,
    ForbiddenError,
    HutongError,
    Kind,
    ValidationError,
)
from hutong.protocol.ids import new_id
from hutong.registry.models import Role, Status
from hutong.registry.service import get_participant, require_participant
from hutong.runtime.exactly_once import Refused, Write
from hutong.runtime.services import Services

#: Member ids become part of ledger account ids (``p/<program>/member/<member>``).
MAX_MEMBER = 64
_MEMBER = re.compile(r"^[A-Za-z0-9._:@/-]{1,64}$")
#: Widths of the text columns; the largest value an INTEGER column holds.
MAX_TEXT = 255
MAX_INT32 = 2**31 - 1
MAX_GRANT_ID = 128
#: Seconds an exchange may stay held beyond twice the longest call to program B.
HELD_SLACK_SECONDS = 30
#: Ledger results that mean "the points hold is already gone" when voiding it.
_ALREADY_RELEASED = frozenset(
    {Result.PENDING_TRANSFER_EXPIRED, Result.PENDING_TRANSFER_ALREADY_VOIDED}
)
#: A grant id used again for another member or amount.
_GRANT_REUSED = {
    result: ("grant_id_reused", "this grant id was already used for another grant")
    for result in Result
    if result.value.startswith("exists_with_different")
}


def check_member(member: object, name: str = "member") -> str:
    if not isinstance(member, str) or not _MEMBER.match(member):
        raise ValidationError(
            f"{name} is 1 to {MAX_MEMBER} letters, digits or . _ : @ / -", code="invalid_member"
        )
    return member


def held_window(settings: Settings) -> int:
    """Seconds an exchange may stay held before `expire_due` cancels it."""
    longest_call = settings.wallet_call_timeout * max(settings.wallet_call_attempts, 1)
    return math.ceil(2 * longest_call) + HELD_SLACK_SECONDS


def exchange_id_for(sender: str, message_id: str) -> str:
    """The exchange a request makes: the same for every retry of one message id."""
    digest = hashlib.blake2b(
        f"{sender}\n{message_id}".encode(), digest_size=16, person=b"hutong-points-x"
    )
    return f"px_{digest.hexdigest()}"


def _grant_key(program: str, grant_id: str) -> str:
    """The ledger id of a grant: grant ids are the program's own, so scope them to it."""
    digest = hashlib.blake2b(
        f"{program}\n{grant_id}".encode(), digest_size=16, person=b"hutong-points-g"
    )
    return f"pg_{digest.hexdigest()}"


async def _program(services: Services, subscriber_id: str) -> None:
    async with services.db.read() as conn:
        participant = await require_participant(conn, subscriber_id)
    if not participant.has_role(Role.PROGRAM):
        raise ForbiddenError("this call is for a membership program", code="wrong_role")


# -- offers ------------------------------------------------------------------------------


async def list_offers(
    services: Services,
    *,
    program_from: str | None = None,
    program_to: str | None = None,
    limit: int = 200,
) -> list[OfferRow]:
    async with services.db.read() as conn:
        return await select_offers(
            conn, program_from=program_from, program_to=program_to, limit=limit
        )


@dataclass(frozen=True, slots=True)
class NewOffer:
    program_from: str
    points_price: int
    benefit: str
    daily_cap_per_user: int | None
    money_rate_fen: int
    #: Default: the sender; naming another program is refused.
    program_to: str = ""


async def publish_offer(services: Services, sender: str, spec: NewOffer) -> Write[OfferRow]:
    """`sender` (the program that issues the benefit) offers it for `program_from`'s points."""
    await _program(services, sender)
    if spec.program_to and spec.program_to != sender:
        raise ForbiddenError(
            f"{sender} may publish its own offers only, not {spec.program_to}'s",
            code="not_a_party",
        )
    if spec.program_from == sender:
        raise ValidationError("an exchange is between two programs", code="invalid_offer")
    if len(spec.benefit) > MAX_TEXT:
        raise ValidationError(f"the benefit is at most {MAX_TEXT} characters", code="invalid_offer")
    cap = spec.daily_cap_per_user
    if cap is not None and isinstance(cap, int) and cap > MAX_INT32:
        raise ValidationError(f"daily_cap_per_user is at most {MAX_INT32}", code="invalid_offer")
    async with services.db.read() as conn:
        partner = await get_participant(conn, spec.program_from)
    if partner is None or not partner.has_role(Role.PROGRAM) or partner.status is not Status.ACTIVE:
        raise ValidationError(
            f"{spec.program_from} is not an active membership program", code="unknown_program"
        )
    offer = OfferRow(
        id=new_id("po"),
        program_from=spec.program_from,
        program_to=sender,
        points_price=spec.points_price,
        benefit=spec.benefit,
        daily_cap_per_user=cap,
        money_rate_fen=spec.money_rate_fen,
        active=True,
        created_at=services.clock(),
    )
    offer.terms()  # refuses the offer's terms (invalid_offer)

    async def write(conn: AsyncConnection) -> OfferRow:
        now = services.clock()
        stored = OfferRow(**{**offer_fields(offer), "created_at": now})
        await insert_offer(conn, stored)
        await enqueue(
            conn,
            recipient=stored.program_from,
            action="on_points_offer",
            message=stored.to_dict(),
            now=now,
            transaction_id=stored.id,
        )
        return stored

    return write


async def withdraw_offer(services: Services, sender: str, offer_id: str) -> Write[OfferRow]:
    """The issuing program withdraws its offer: no new exchanges (running ones finish)."""
    async with services.db.read() as conn:
        offer = await require_offer(conn, offer_id)
    if sender != offer.program_to:
        raise ForbiddenError(f"only {offer.program_to} may withdraw this offer", code="not_a_party")

    async def write(conn: AsyncConnection) -> OfferRow:
        now = services.clock()
        await deactivate_offer(conn, offer_id)
        withdrawn = await require_offer(conn, offer_id)
        await enqueue(
            conn,
            recipient=withdrawn.program_from,
            action="on_points_offer",
            message=withdrawn.to_dict(),
            now=now,
            transaction_id=withdrawn.id,
        )
        return withdrawn

    return write


# -- grants and balances -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grant:
    """Points credited to a program's member, and the member's balance after it."""

    id: str
    program: str
    member: str
    points: int
    balance: int


async def grant(
    services: Services, sender: str, member: str, points: int, grant_id: str
) -> Write[Grant]:
    """`sender` (a program) credits `points` to its member; once per grant id."""
    await _program(services, sender)
    check_member(member)
    if not (is_amount(points) and points > 0):
        raise ValidationError("points is a positive whole number", code="invalid_points")
    if not 0 < len(grant_id) <= MAX_GRANT_ID:
        raise ValidationError(
            f"grant_id is 1 to {MAX_GRANT_ID} characters", code="invalid_grant_id"
        )
    await ensure_accounts(
        services.db,
        [*legs.program_accounts(sender), legs.member_account(sender, member)],
        services.clock(),
    )
    key = _grant_key(sender, grant_id)

    async def write(conn: AsyncConnection) -> Grant:
        now = services.clock()
        await post(
            conn, legs.grant_points(key, sender, member, points), now, refusals=_GRANT_REUSED
        )
        account = await get_account(conn, legs.member_points(sender, member))
        return Grant(grant_id, sender, member, points, 0 if account is None else account.balance)

    return write


async def balance(services: Services, sender: str, member: str) -> dict[str, Any]:
    """A program's member's points: posted, held by running exchanges, available."""
    await _program(services, sender)
    check_member(member)
    async with services.db.read() as conn:
        account = await get_account(conn, legs.member_points(sender, member))
    points = 0 if account is None else account.balance
    held = 0 if account is None else account.debits_pending
    return {
        "program": sender,
        "member": member,
        "asset": legs.points_asset(sender),
        "points": points,
        "held": held,
        "available": points - held,
    }


# -- exchanges -------------------------------------------------------------------------------


async def readable_exchange(services: Services, reader: str, exchange_id: str) -> ExchangeRow:
    """The exchange, for its two programs and auditors."""
    async with services.db.read() as conn:
        exchange = await require_exchange(conn, exchange_id)
        participant = await require_participant(conn, reader)
    if reader in (exchange.program_from, exchange.program_to) or participant.has_role(Role.AUDITOR):
        return exchange
    raise ForbiddenError(f"{reader} is not a party of exchange {exchange_id}", code="not_a_party")


async def _notify(conn: AsyncConnection, exchange: ExchangeRow, now: datetime) -> None:
    for recipient in (exchange.program_from, exchange.program_to):
        await enqueue(
            conn,
            recipient=recipient,
            action="on_exchange",
            message=exchange.event(),
            now=now,
            transaction_id=exchange.id,
        )


def _quote(offer: OfferRow, used: int, quantity: int, available: int | None) -> ExchangeQuote:
    return check_exchange(offer.terms(), used, quantity, points_balance=available)


@dataclass(frozen=True, slots=True)
class NewExchange:
    offer_id: str
    member: str
    beneficiary: str
    quantity: int


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


async def _cancel_in(
    conn: AsyncConnection, exchange: ExchangeRow, reason: str, now: datetime
) -> ExchangeRow:
    """In `conn` (the row locked): void the points, mark it cancelled, tell both programs."""
    if exchange.state is not ExchangeState.HELD:
        return exchange
    release = legs.settle_exchange(
        exchange.id, exchange.program_from, exchange.program_to, 0, commit=False
    )
    (results,) = await apply_batches(conn, [release], now)
    if not all(r.succeeded or r in _ALREADY_RELEASED for r in results):
        raise ConflictError(f"the ledger refused to release the points: {results[0].value}")
    reason = reason[:2000]
    await mark_cancelled(conn, exchange.id, reason, now)
    cancelled = ExchangeRow(
        **{
            **{n: getattr(exchange, n) for n in ExchangeRow.__dataclass_fields__},
            "state": ExchangeState.CANCELLED,
            "reason": reason,
            "updated_at": now,
        }
    )
    await _notify(conn, cancelled, now)
    return cancelled


async def _cancel(services: Services, exchange_id: str, reason: str) -> ExchangeRow:
    async with services.db.transaction() as conn:
        exchange = await require_exchange(conn, exchange_id, lock=True)
        return await _cancel_in(conn, exchange, reason, services.clock())


def _cancelled(exchange: ExchangeRow) -> ConflictError:
    return ConflictError(
        f"exchange {exchange.id} was cancelled ({exchange.reason or 'no reason given'});"
        " a new message id makes a new exchange",
        code="exchange_cancelled",
    )


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
    await _program(services, sender)
    _check_exchange_request(spec)
    exchange_id = exchange_id_for(sender, message_id)
    async with services.db.read() as conn:
        offer = await require_offer(conn, spec.offer_id)
        held = await get_exchange(conn, exchange_id)
    if sender != offer.program_from:
        raise ForbiddenError(
            f"only {offer.program_from} exchanges its members' points for this offer",
            code="not_a_party",
        )
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
        raise _cancelled(held)
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
            raise _cancelled(current)
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
            await _cancel_in(conn, current, refusal.message, now)
            return Refused(refusal)
        await mark_committed(conn, current.id, benefit_ref, now)
        committed = await require_exchange(conn, current.id)
        await _notify(conn, committed, now)
        return committed

    return write


async def _ask_issuer(services: Services, http: CallTransport, held: ExchangeRow) -> str:
    """Step 2: program B issues the benefit (its reference), or the exchange is cancelled."""
    try:
        answer = await service.ask_wallet(
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
        )
    except CallRefused as refusal:
        await _cancel(
            services, held.id, f"{held.program_to} refused: {refusal.code}: {refusal.message}"
        )
        raise ConflictError(refusal.message, code=refusal.code) from None
    except CallFailed as failure:
        await _cancel(services, held.id, f"no answer from {held.program_to}: {failure.message}")
        raise _no_answer(failure) from None
    benefit_ref = answer.get("benefit_ref")
    if not isinstance(benefit_ref, str) or not 0 < len(benefit_ref) <= MAX_TEXT:
        await _cancel(services, held.id, f"{held.program_to} answered without a benefit_ref")
        raise CallFailed(
            f"{held.program_to} answered issue without a usable benefit_ref", code="bad_answer"
        )
    return benefit_ref


# -- deadlines ---------------------------------------------------------------------------------


async def expire_due(services: Services, limit: int = 200) -> int:
    """Cancel exchanges left held past their deadline (points back, both programs told)."""
    now = services.clock()
    cutoff = now - timedelta(seconds=held_window(services.settings))
    async with services.db.read() as conn:
        due = await held_since(conn, cutoff, limit)
    cancelled = 0
    for exchange_id in due:
        async with services.db.transaction() as conn:
            current = await require_exchange(conn, exchange_id, lock=True)
            if current.state is not ExchangeState.HELD:
                continue  # committed or cancelled meanwhile
            await _cancel_in(
                conn, current, "not finished in time: the switch cancelled it", services.clock()
            )
            cancelled += 1
    return cancelled
