"""Commission schedules, order splits and their reversal, exact to the fen. Pure code.

Nothing here reads a clock, a database or the network: the service finds the
schedule in force, splits the captured amount at completion and posts the legs
this module builds.

Schedules
---------
A host declares a `CommissionSchedule` from its ``valid_from`` day (inclusive):

* the **take rate** it keeps, in basis points (1 bp = 0.01%), by category and by
  `Channel` (how the order came: the host's own store, a cross-platform
  storefront, an external link placement, a creator placement). The rate for
  an order is the first of: ``take_rates[(category, channel)]``,
  ``channel_rates[channel]``, ``default_take_bps``;
* the **creator rate** paid to a creator whose placement brought the order: the
  first of ``creator_rates[category]``, ``default_creator_bps``.

Every rate is an integer from 0 to 10000 (``invalid_rate``), and for every
category and channel the take rate plus the creator rate is at most 10000
(``rates_exceed_whole``): a schedule can never ask for more than the order.
Keeping own-store and external rates side by side in one declaration is what
lets the auditor compare them (Douyin: 5% on its own store, 20% on external
links).

A host's `CommissionHistory` is append-only, like wallet acceptance
(`hutong.payments.checkout.acceptance`): `declare` numbers versions 1, 2, ... and never
edits one; on a day the version in force is the one with the latest
``valid_from`` on or before it (on the same day, the later version). Before
the first version nothing is in force (`in_force` is None) and `split_order`
takes None as "no commission": silence is not a charge.

Splitting an order
------------------
`split_order` divides the captured amount into five parts that add up to it
exactly: the host commission and the creator commission (basis points of the
captured amount, each rounded down), the wallet fee and the carrier fee (fixed
fen, as quoted), and the merchant, who receives the rest, rounding fen
included. Fees larger than what the commissions leave are refused
(``fees_exceed_amount``), never taken out of thin air.

Refunds after completion
------------------------
`reverse_split` says how much of each part a refund takes back. The reversal
is cumulative: what each part has given back after refunds totalling ``r`` is
a function of ``r`` alone, so refunds in any number of steps give back exactly
what one refund of the same total would, and refunding everything gives back
every part in full. Each part's cumulative reversal never decreases (no refund
ever pays a part), never exceeds the part, and is within a fen or so of its
proportional share.

How: the parts are taken in `REVERSAL_ORDER` (the wallet fee first, the
merchant last). The first gives back ``part * r // total`` (rounded down, as
`hutong.payments.legs.fee_returned_after` does, so the two agree); what
remains of ``r`` is divided the same way among the remaining parts, and the
merchant takes what is left. Each step is a floor of a non-decreasing amount,
so every part is monotone, and at ``r == total`` each floor is exact. (Rounding
each part down on its own and giving the merchant "the rest" fails: with a
small merchant part the rest can exceed it, and when two parts round up on
the same fen the rest goes backwards.)

Ledger legs
-----------
`split_legs` moves each non-zero part from the account holding the captured
money (``accounts.source``; by default the merchant's receivable, where
`hutong.payments.legs.capture` leaves it) to the part's account, as one linked
chain: all or nothing. A part whose account is the source moves nothing (the
merchant keeps its part where it is). `reversal_legs` moves a refund's parts
back. Ids derive from the order (and refund), so a retry posts nothing twice.

Accounts: ``h/<host>/commission`` (host commission income),
``c/<creator>/commission`` (the creator's commission), ``l/<carrier>/fees``
(the carrier's fee income), beside `hutong.payments.legs`' ``m/<merchant>/receivable``
and ``w/<wallet>/fees``.

The modules: `values` (channels and the checked values), `schedules`,
`splits` (splitting and reversing) and `legs` (accounts and ledger legs).
"""

from hutong.commerce.commissions.legs import (
    SplitAccounts,
    carrier_fees_account,
    commission_accounts,
    creator_commission_account,
    host_commission_account,
    reversal_legs,
    split_legs,
)
from hutong.commerce.commissions.schedules import CommissionHistory, CommissionSchedule
from hutong.commerce.commissions.splits import (
    PARTS,
    REVERSAL_ORDER,
    OrderSplit,
    reverse_split,
    reversed_after,
    split_order,
)
from hutong.commerce.commissions.values import MAX_CATEGORY, Channel, CommissionError

__all__ = [
    "MAX_CATEGORY",
    "PARTS",
    "REVERSAL_ORDER",
    "Channel",
    "CommissionError",
    "CommissionHistory",
    "CommissionSchedule",
    "OrderSplit",
    "SplitAccounts",
    "carrier_fees_account",
    "commission_accounts",
    "creator_commission_account",
    "host_commission_account",
    "reversal_legs",
    "reverse_split",
    "reversed_after",
    "split_legs",
    "split_order",
]
