"""How the payments API shows what the domain answers: the status and the body.

One presenter per answer (`hutong.runtime.exactly_once.Present`); the CLI
shows the same bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hutong.api.idempotency import Reply
from hutong.payments import checkout, pay_for_me
from hutong.payments.checkout import AcceptancePolicy, PaymentRow
from hutong.payments.pay_for_me import PayForMe
from hutong.runtime.services import Services

__all__ = ["acceptance_out", "created_out", "paid_out", "payment_out", "refund_out", "request_out"]


def created_out(created: checkout.PaymentCreated) -> Reply:
    return 201, {
        "payment": created.payment.to_dict(),
        "wallets": checkout.choice_out(created.wallets),
    }


def payment_out(payment: PaymentRow) -> Reply:
    return 200, {"payment": payment.to_dict()}


def refund_out(refund_id: str) -> Callable[[PaymentRow], Reply]:
    def present(payment: PaymentRow) -> Reply:
        return 200, {"payment": payment.to_dict(), "refund_id": refund_id}

    return present


def request_out(services: Services, base_url: str, status: int) -> Callable[[PayForMe], Reply]:
    """A pay-for-me request as its requester and payers see it (with its link)."""

    def present(request: PayForMe) -> Reply:
        return status, {"request": request.to_dict(base_url, pay_for_me.share_key(services))}

    return present


def paid_out(services: Services, base_url: str) -> Callable[[pay_for_me.PayForMePaid], Reply]:
    def present(paid: pay_for_me.PayForMePaid) -> Reply:
        return 200, {
            "request": paid.request.to_dict(base_url, pay_for_me.share_key(services)),
            "payment": paid.payment.to_dict(),
        }

    return present


def acceptance_out(policy: AcceptancePolicy) -> dict[str, Any]:
    """One version of a platform's acceptance policy, as the API and the CLI show it."""
    return {
        "platform": policy.platform,
        "version": policy.version,
        "valid_from": policy.valid_from.isoformat(),
        "accepts": None if policy.accepts is None else sorted(policy.accepts),
        "refused": dict(policy.refused),
        "note": policy.note,
    }
