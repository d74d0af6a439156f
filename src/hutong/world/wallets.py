"""Reference wallets and membership programs: the desks that answer the switch's decision calls.

A desk answers like a real participant so that every branch of the switch can
be exercised over real HTTP: it holds, captures, refunds and credits integer
fen (a wallet) or issues and revokes benefits (a membership program), refuses
with the codes a real one would, and can be made to fail.

Both kinds deduplicate by the switch's message id: a retry (the same message
id) gets the very same status and document again, refusals included, and
never acts twice. The HTTP side (signature checks, signing the answers,
failure injection) lives in `hutong.world.reference`.

Wallet actions and their messages (amounts in fen):

* ``authorize {payment_id, payer, amount, merchant, kind}`` holds ``amount``
  -> ``{authorization, held}``
* ``capture {payment_id, amount}`` takes ``amount`` from the hold and releases
  the rest -> ``{captured}``
* ``void {payment_id}`` releases the hold -> ``{voided: true}``
* ``refund {payment_id, refund_id, amount}`` gives money back -> ``{refunded}``
* ``reserve {transfer_id, payer, amount}`` holds a transfer's total debit
  -> ``{reserved}``
* ``confirm {transfer_id, payee, amount}`` accepts a pending credit -> ``{confirmed}``

Events applied: ``on_transfer {transfer_id, state, role, account, amount}``
(committed: the payer's hold is debited, the payee's pending credit credited;
released or expired: both are dropped), ``on_payment {payment_id, state}``
(voided or expired: the hold is released) and ``on_payment_released
{payment_id, reason}`` (the switch asked this wallet to authorize, then the
payment was paid with another wallet, voided or expired: a hold made late,
after the switch gave up on the call, is released, and a later authorize of
that payment is refused with ``payment_released``).

Program action: ``issue {exchange_id, member, benefit, quantity}``
-> ``{benefit_ref}``; event ``on_exchange {exchange_id, state: cancelled}``
revokes the benefit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hutong.protocol.errors import ack, nack
from hutong.protocol.signing import Signer

#: The decision calls a wallet answers, each at `<callback URL>/<action>`.
WALLET_ACTIONS = ("authorize", "capture", "void", "refund", "reserve", "confirm")
#: The decision calls a membership program answers.
PROGRAM_ACTIONS = ("issue",)

Answer = tuple[int, dict[str, Any]]
Act = Callable[[str, dict[str, Any]], dict[str, Any]]


class Refusal(Exception):
    """A signed refusal: HTTP status, stable code, a sentence."""

    def __init__(
        self, status: int, code: str, message: str, justification: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        #: Why, from the closed set (`{code, reference}`), when the desk says so.
        self.justification = justification


def _text(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not value:
        raise Refusal(422, "invalid_request", f"{name} must be a non-empty string")
    return value


def _amount(message: dict[str, Any], name: str = "amount") -> int:
    value = message.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise Refusal(422, "invalid_request", f"{name} must be a positive integer")
    return value


class Desk(Protocol):
    """What the reference app needs of a desk."""

    signer: Signer
    fail: dict[str, str]
    delay: float
    calls: list[tuple[str, str]]

    def answer(self, action: str, message_id: str, message: dict[str, Any]) -> Answer: ...

    def on_event(self, envelope: dict[str, Any]) -> None: ...


@dataclass(slots=True)
class Hold:
    """Money of `account` held for one payment or transfer."""

    account: str
    amount: int


@dataclass(slots=True)
class WalletDesk:
    """A reference wallet: user balances in fen, holds, pending credits."""

    signer: Signer
    #: Balances by user account id, in fen.
    balances: dict[str, int] = field(default_factory=dict)
    #: Payment holds by payment id.
    holds: dict[str, Hold] = field(default_factory=dict)
    #: Transfer holds (payer side) by transfer id.
    reservations: dict[str, Hold] = field(default_factory=dict)
    #: Credits confirmed but not yet committed (payee side), by transfer id.
    pending: dict[str, Hold] = field(default_factory=dict)
    #: Captured amounts by payment id, and who paid each payment.
    captured: dict[str, int] = field(default_factory=dict)
    payers: dict[str, str] = field(default_factory=dict)
    #: Payments the switch told this wallet to release: it never holds for them again.
    released: set[str] = field(default_factory=set)
    #: Refunds by refund id: (payment id, amount).
    refunds: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: (transfer id, role) pairs already committed, released or expired.
    finished: set[tuple[str, str]] = field(default_factory=set)
    #: Accounts whose user presses cancel; accounts that are closed.
    cancelling: set[str] = field(default_factory=set)
    #: Accounts the wallet's risk control declines, with the justification it gives.
    flagged: dict[str, dict[str, str]] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    #: action -> "down" (503, unsigned) or "slow" (wait `delay` seconds, then answer).
    fail: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: (action, message id) of every call received, in order.
    calls: list[tuple[str, str]] = field(default_factory=list)
    #: Answers by the switch's message id.
    answers: dict[str, Answer] = field(default_factory=dict)

    def balance(self, account: str) -> int:
        return self.balances.get(account, 0)

    def held(self, account: str) -> int:
        holds = [*self.holds.values(), *self.reservations.values()]
        return sum(hold.amount for hold in holds if hold.account == account)

    def available(self, account: str) -> int:
        return self.balance(account) - self.held(account)

    def total(self) -> int:
        return sum(self.balances.values())

    def answer(self, action: str, message_id: str, message: dict[str, Any]) -> Answer:
        """The answer to one call; a repeated message id gets the first answer again."""
        if message_id not in self.answers:
            self.answers[message_id] = answered(self._act, action, message)
        return self.answers[message_id]

    def _act(self, action: str, message: dict[str, Any]) -> dict[str, Any]:
        handlers = {
            "authorize": self._authorize,
            "capture": self._capture,
            "void": self._void,
            "refund": self._refund,
            "reserve": self._reserve,
            "confirm": self._confirm,
        }
        handler = handlers.get(action)
        if handler is None:
            raise Refusal(404, "unknown_action", f"a wallet does not {action}")
        return handler(message)

    def _payer(self, message: dict[str, Any], amount: int) -> str:
        """The payer, when they may spend `amount` now."""
        payer = _text(message, "payer")
        if payer not in self.balances:
            raise Refusal(422, "unknown_account", f"no account {payer}")
        if payer in self.cancelling:
            raise Refusal(409, "user_cancelled", "the user cancelled the payment")
        if payer in self.flagged:
            raise Refusal(
                409, "risk_declined", "risk control declined this payer", self.flagged[payer]
            )
        if self.available(payer) < amount:
            raise Refusal(409, "insufficient_funds", "the balance does not cover the amount")
        return payer

    def _authorize(self, message: dict[str, Any]) -> dict[str, Any]:
        payment_id = _text(message, "payment_id")
        amount = _amount(message)
        if payment_id in self.captured:
            raise Refusal(409, "already_captured", f"{payment_id} is already captured")
        if payment_id in self.released:
            raise Refusal(409, "payment_released", f"{payment_id} was paid otherwise or ended")
        hold = self.holds.get(payment_id)
        if hold is None:
            hold = Hold(self._payer(message, amount), amount)
            self.holds[payment_id] = hold
            self.payers[payment_id] = hold.account
        return ack(authorization=f"auth-{payment_id}", held=hold.amount)

    def _capture(self, message: dict[str, Any]) -> dict[str, Any]:
        payment_id = _text(message, "payment_id")
        amount = _amount(message)
        if payment_id in self.captured:
            if self.captured[payment_id] == amount:
                return ack(captured=amount)
            raise Refusal(409, "already_captured", f"{payment_id} is already captured")
        hold = self.holds.get(payment_id)
        if hold is None:
            raise Refusal(409, "not_authorized", f"{payment_id} holds nothing")
        if amount > hold.amount:
            raise Refusal(409, "capture_exceeds_authorized", "more than was authorized")
        del self.holds[payment_id]
        self.balances[hold.account] -= amount
        self.captured[payment_id] = amount
        return ack(captured=amount)

    def _void(self, message: dict[str, Any]) -> dict[str, Any]:
        payment_id = _text(message, "payment_id")
        if payment_id in self.captured:
            raise Refusal(409, "already_captured", f"{payment_id} is already captured")
        self.holds.pop(payment_id, None)
        return ack(voided=True)

    def _refund(self, message: dict[str, Any]) -> dict[str, Any]:
        payment_id = _text(message, "payment_id")
        refund_id = _text(message, "refund_id")
        amount = _amount(message)
        if payment_id not in self.captured:
            raise Refusal(409, "not_captured", f"{payment_id} is not captured")
        if refund_id in self.refunds:
            return ack(refunded=self.refunds[refund_id][1])
        if self.refunded(payment_id) + amount > self.captured[payment_id]:
            raise Refusal(409, "refund_exceeds_captured", "refunds would exceed the capture")
        self.refunds[refund_id] = (payment_id, amount)
        self.balances[self.payers[payment_id]] += amount
        return ack(refunded=amount)

    def refunded(self, payment_id: str) -> int:
        return sum(amount for paid, amount in self.refunds.values() if paid == payment_id)

    def _reserve(self, message: dict[str, Any]) -> dict[str, Any]:
        transfer_id = _text(message, "transfer_id")
        amount = _amount(message)
        self._not_finished(transfer_id, "payer")
        hold = self.reservations.get(transfer_id)
        if hold is None:
            hold = Hold(self._payer(message, amount), amount)
            self.reservations[transfer_id] = hold
        return ack(reserved=hold.amount)

    def _confirm(self, message: dict[str, Any]) -> dict[str, Any]:
        transfer_id = _text(message, "transfer_id")
        payee = _text(message, "payee")
        amount = _amount(message)
        self._not_finished(transfer_id, "payee")
        credit = self.pending.get(transfer_id)
        if credit is None:
            if payee not in self.balances:
                raise Refusal(422, "unknown_account", f"no account {payee}")
            if payee in self.closed:
                raise Refusal(409, "account_closed", f"{payee} is closed")
            credit = Hold(payee, amount)
            self.pending[transfer_id] = credit
        return ack(confirmed=credit.amount)

    def _not_finished(self, transfer_id: str, role: str) -> None:
        if (transfer_id, role) in self.finished:
            raise Refusal(409, "transfer_finished", f"{transfer_id} is already finished")

    def on_event(self, envelope: dict[str, Any]) -> None:
        """Apply a verified, first-seen event of the switch (others are only kept)."""
        action = envelope.get("context", {}).get("action")
        message = envelope.get("message") or {}
        if action == "on_transfer":
            self._finish_transfer(message)
        elif action == "on_payment" and message.get("state") in ("voided", "expired"):
            self.holds.pop(str(message.get("payment_id")), None)
        elif action == "on_payment_released":
            payment_id = str(message.get("payment_id"))
            self.holds.pop(payment_id, None)
            self.released.add(payment_id)

    def _finish_transfer(self, message: dict[str, Any]) -> None:
        state, role = message.get("state"), message.get("role")
        key = (str(message.get("transfer_id")), str(role))
        if state not in ("committed", "released", "expired") or key in self.finished:
            return
        self.finished.add(key)
        held = (self.reservations if role == "payer" else self.pending).pop(key[0], None)
        if held is None or state != "committed":
            return
        sign = -1 if role == "payer" else 1
        self.balances[held.account] = self.balance(held.account) + sign * held.amount


@dataclass(slots=True)
class ProgramDesk:
    """A membership program's desk: issues benefits to its members, revokes them."""

    signer: Signer
    members: set[str] = field(default_factory=set)
    #: Issued benefits by exchange id.
    issued: dict[str, dict[str, Any]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    fail: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    calls: list[tuple[str, str]] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)

    def answer(self, action: str, message_id: str, message: dict[str, Any]) -> Answer:
        """The answer to one call; a repeated message id gets the first answer again."""
        if message_id not in self.answers:
            self.answers[message_id] = answered(self._act, action, message)
        return self.answers[message_id]

    def _act(self, action: str, message: dict[str, Any]) -> dict[str, Any]:
        if action != "issue":
            raise Refusal(404, "unknown_action", f"a membership program does not {action}")
        exchange_id = _text(message, "exchange_id")
        if exchange_id in self.revoked:
            raise Refusal(409, "exchange_cancelled", f"{exchange_id} was cancelled")
        issued = self.issued.get(exchange_id)
        if issued is None:
            member = _text(message, "member")
            benefit = _text(message, "benefit")
            quantity = _amount(message, "quantity")
            if member not in self.members:
                raise Refusal(422, "unknown_member", f"no member {member}")
            issued = {
                "member": member,
                "benefit": benefit,
                "quantity": quantity,
                "benefit_ref": f"{benefit}/{exchange_id}",
            }
            self.issued[exchange_id] = issued
        return ack(benefit_ref=issued["benefit_ref"])

    def on_event(self, envelope: dict[str, Any]) -> None:
        """`on_exchange` cancelled revokes the benefit; other events are only kept."""
        message = envelope.get("message") or {}
        if envelope.get("context", {}).get("action") != "on_exchange":
            return
        if message.get("state") == "cancelled":
            exchange_id = str(message.get("exchange_id"))
            self.issued.pop(exchange_id, None)
            self.revoked.add(exchange_id)


def answered(act: Act, action: str, message: dict[str, Any]) -> Answer:
    try:
        return 200, act(action, message)
    except Refusal as refusal:
        body = nack(refusal.code, refusal.message)
        if refusal.justification is not None:
            body["error"]["justification"] = refusal.justification
        return refusal.status, body
