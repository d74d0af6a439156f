"""A pay-for-me share code pasted anywhere: which request it names.

A pay-for-me code is written like a product's share code but under a key of
its own (`share_key`): it never opens a product link, so the product parser
refuses it as forged. `by_share_text` reads pasted text under that key: the
first pay-for-me code in the text that the switch knows and that has not
expired names its request. The request is shown the way ``/p/{code}`` shows
it to anyone: never the buyer nor the payer's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hutong.links.share_code import ParsedCode, first_live, scan
from hutong.payments import checkout
from hutong.payments.pay_for_me.service import share_key
from hutong.payments.pay_for_me.store import PayForMe, rows_by_serials
from hutong.runtime.services import Services

__all__ = ["SharedRequest", "by_share_text"]


@dataclass(frozen=True, slots=True)
class SharedRequest:
    """A pay-for-me request found by its share code, and what it asks for."""

    code: ParsedCode
    request: PayForMe
    merchant: str
    amount: int

    def to_dict(self, base_url: str) -> dict[str, Any]:
        return {
            "kind": "pay_for_me",
            "outcome": "pay_for_me",
            "code": self.code.code,
            "request_id": self.request.id,
            "state": self.request.state.value,
            "url": f"{base_url}/p/{self.request.code}",
            "merchant": self.merchant,
            "amount": self.amount,
            "expires_at": self.request.expires_at.isoformat(),
        }


async def by_share_text(services: Services, text: str) -> SharedRequest | None:
    """The request named by the first live pay-for-me code in ``text``, or ``None``.

    ``None`` when no candidate verifies under the pay-for-me key; a genuine
    code the switch no longer has or one past its request's expiry raises
    `ShareCodeError` (``unknown`` / ``expired``).
    """
    found = scan(text, share_key(services))
    if not found.codes:
        return None
    async with services.db.read() as conn:
        requests = await rows_by_serials(conn, found.serials)
        live = first_live(found, {s: r.expires_at for s, r in requests.items()}, services.clock())
        assert live is not None  # found.codes is not empty: a code or a refusal
        request = requests[live.serial]
        payment = await checkout.store.require_payment(conn, request.payment_id)
    return SharedRequest(live, request, payment.merchant, payment.amount)
