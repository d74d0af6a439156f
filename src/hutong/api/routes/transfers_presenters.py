"""How the transfers API shows what the domain answers: the status and the body.

One presenter per answer (`hutong.runtime.exactly_once.Present`); the CLI
shows the same bodies.
"""

from __future__ import annotations

from hutong.api.errors import status_of
from hutong.api.idempotency import Reply, refusal_reply
from hutong.payments.transfers import TransferDeclined, TransferRow
from hutong.runtime.exactly_once import Refused, Unanswered

__all__ = ["executed_out", "quote_out"]


def quote_out(result: TransferRow | Refused | Unanswered) -> Reply:
    """A new quote; or refused (the alias lookup it cost stays spent)."""
    if isinstance(result, Unanswered):  # raised by the exactly-once path before it gets here
        raise result.error
    if isinstance(result, Refused):
        return refusal_reply(result.error)
    return 201, {"transfer": result.to_dict()}


def executed_out(result: TransferRow | TransferDeclined) -> Reply:
    """Committed; or a wallet's refusal with the transfer as it now stands."""
    if isinstance(result, TransferDeclined):
        body = result.error.body()
        body["message"]["transfer"] = result.transfer.to_dict()
        return status_of(result.error), body
    return 200, {"transfer": result.to_dict()}
