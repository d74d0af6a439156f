"""Points exchange between membership programs: offers, grants, exchanges, expiry.

A program (``program_to``, e.g. Tencent Video) publishes what members of
another program (``program_from``, e.g. 88VIP) get for their points
(`hutong.payments.points.rules.ExchangeOffer`). Programs credit points to their
own members (grants). An exchange debits a member's points at program A,
asks program B to issue the benefit, and commits both or neither; what A
owes B for it is a CNY ledger entry between the programs' positions, settled
with everything else.

`offers`, `grants` and `exchanges` are the steps (an exchange's three in
`exchanges`, its cancellation and the deadline sweep in `cancelling`);
`rules` prices an exchange (pure), `store` keeps the rows.
"""

from hutong.payments.points.cancelling import expire_due
from hutong.payments.points.exchanges import NewExchange, exchange, readable_exchange
from hutong.payments.points.grants import Balance, Grant, balance, grant
from hutong.payments.points.offers import NewOffer, list_offers, publish_offer, withdraw_offer
from hutong.payments.points.programs import exchange_id_for, held_window
from hutong.payments.points.store import ExchangeRow, ExchangeState, OfferRow, get_exchange

__all__ = [
    "Balance",
    "ExchangeRow",
    "ExchangeState",
    "Grant",
    "NewExchange",
    "NewOffer",
    "OfferRow",
    "balance",
    "exchange",
    "exchange_id_for",
    "expire_due",
    "get_exchange",
    "grant",
    "held_window",
    "list_offers",
    "publish_offer",
    "readable_exchange",
    "withdraw_offer",
]
