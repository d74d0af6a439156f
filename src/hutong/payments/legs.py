"""The ledger legs of every payment step: which accounts move, by how much. Pure code.

Accounts (all created on first use; see `accounts_for`):

``w/<wallet>/position`` (CNY, settlement position)
    What the wallet owes the network (negative) or is owed. A buyer paying
    with the wallet debits it: the wallet collected the money from its user
    and now owes it to the merchant.
``w/<wallet>/fees`` (CNY, fee income)
    The wallet's fees.
``m/<merchant>/receivable`` (CNY, merchant receivable)
    What the network owes the merchant.
``p/<program>/position`` (CNY), ``p/<program>/issued`` and ``p/<program>/redeemed``
(``points:<program>``, program liability), ``p/<program>/member/<member>``
(``points:<program>``, a member's balance that can never go below zero)
    Points programs and their members.

Ids are derived from the payment, transfer or exchange id and the step, so a
step retried after a crash applies nothing twice (the ledger answers
``exists``). A step of several legs is one linked chain: all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from hutong.ledger.models import AccountFlags, AccountKind, TransferCode, TransferFlags
from hutong.ledger.models import TransferRequest as Leg
from hutong.ledger.store import NewAccount

CNY = "CNY"
#: How much longer the ledger holds a payment's funds than the payment's own
#: deadline: the payment sweeper voids first; the ledger's expiry is a backstop.
HOLD_GRACE_SECONDS = 300


def wallet_position(wallet: str) -> str:
    return f"w/{wallet}/position"


def wallet_fees(wallet: str) -> str:
    return f"w/{wallet}/fees"


def merchant_receivable(merchant: str) -> str:
    return f"m/{merchant}/receivable"


def program_position(program: str) -> str:
    return f"p/{program}/position"


def points_issued(program: str) -> str:
    return f"p/{program}/issued"


def points_redeemed(program: str) -> str:
    return f"p/{program}/redeemed"


def member_points(program: str, member: str) -> str:
    return f"p/{program}/member/{member}"


def points_asset(program: str) -> str:
    """The ledger asset of a program's points: ``88vip.example`` -> ``points:88vip``."""
    name = re.sub(r"[^a-z0-9-]", "-", program.split(".", 1)[0].lower()).strip("-") or "program"
    return f"points:{name[:63]}"


def wallet_accounts(wallet: str) -> list[NewAccount]:
    return [
        NewAccount(wallet_position(wallet), wallet, CNY, AccountKind.SETTLEMENT_POSITION.value),
        NewAccount(wallet_fees(wallet), wallet, CNY, AccountKind.FEE_INCOME.value),
    ]


def merchant_accounts(merchant: str) -> list[NewAccount]:
    return [
        NewAccount(
            merchant_receivable(merchant), merchant, CNY, AccountKind.MERCHANT_RECEIVABLE.value
        )
    ]


def program_accounts(program: str) -> list[NewAccount]:
    asset, liability = points_asset(program), AccountKind.PROGRAM_LIABILITY.value
    return [
        NewAccount(program_position(program), program, CNY, AccountKind.SETTLEMENT_POSITION.value),
        NewAccount(points_issued(program), program, asset, liability),
        NewAccount(points_redeemed(program), program, asset, liability),
    ]


def member_account(program: str, member: str) -> NewAccount:
    return NewAccount(
        member_points(program, member),
        program,
        points_asset(program),
        AccountKind.USER_BALANCE.value,
        AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
    )


def chain(legs: Sequence[Leg]) -> list[Leg]:
    """Link `legs` into one all-or-nothing chain (every leg but the last is LINKED)."""
    out: list[Leg] = []
    for index, leg in enumerate(legs):
        last = index == len(legs) - 1
        flags = leg.flags & ~TransferFlags.LINKED if last else leg.flags | TransferFlags.LINKED
        out.append(replace(leg, flags=flags))
    return out


# -- payments ---------------------------------------------------------------------


def hold(payment_id: str, wallet: str, merchant: str, amount: int, hold_seconds: int) -> list[Leg]:
    """Authorization: the amount held from the wallet's position for the merchant."""
    return [
        Leg(
            id=f"{payment_id}/hold",
            debit_account_id=wallet_position(wallet),
            credit_account_id=merchant_receivable(merchant),
            amount=amount,
            asset=CNY,
            code=TransferCode.PAYMENT.value,
            reference=payment_id,
            flags=TransferFlags.PENDING,
            timeout=hold_seconds + HOLD_GRACE_SECONDS,
        )
    ]


def capture(payment_id: str, wallet: str, merchant: str, value: int, fee: int) -> list[Leg]:
    """Capture `value` of the hold (the rest is released) and charge the wallet's fee."""
    legs = [
        Leg(
            id=f"{payment_id}/capture",
            amount=value,
            asset=CNY,
            code=TransferCode.PAYMENT.value,
            reference=payment_id,
            flags=TransferFlags.POST_PENDING,
            pending_id=f"{payment_id}/hold",
        )
    ]
    if fee > 0:
        legs.append(
            Leg(
                id=f"{payment_id}/fee",
                debit_account_id=merchant_receivable(merchant),
                credit_account_id=wallet_fees(wallet),
                amount=fee,
                asset=CNY,
                code=TransferCode.FEE.value,
                reference=payment_id,
            )
        )
    return chain(legs)


def release(payment_id: str) -> list[Leg]:
    """Void the hold (a void, an expiry)."""
    return [
        Leg(
            id=f"{payment_id}/release",
            code=TransferCode.PAYMENT.value,
            reference=payment_id,
            flags=TransferFlags.VOID_PENDING,
            pending_id=f"{payment_id}/hold",
        )
    ]


def refund(
    payment_id: str, refund_id: str, wallet: str, merchant: str, value: int, fee_back: int
) -> list[Leg]:
    """Give `value` back to the wallet and the matching share of the fee back to the merchant."""
    legs = [
        Leg(
            id=f"{payment_id}/refund/{refund_id}",
            debit_account_id=merchant_receivable(merchant),
            credit_account_id=wallet_position(wallet),
            amount=value,
            asset=CNY,
            code=TransferCode.REFUND.value,
            reference=payment_id,
        )
    ]
    if fee_back > 0:
        legs.append(
            Leg(
                id=f"{payment_id}/refund/{refund_id}/fee",
                debit_account_id=wallet_fees(wallet),
                credit_account_id=merchant_receivable(merchant),
                amount=fee_back,
                asset=CNY,
                code=TransferCode.FEE.value,
                reference=payment_id,
            )
        )
    return chain(legs)


def fee_returned_after(fee: int, captured: int, refunded_after: int) -> int:
    """The share of `fee` given back once `refunded_after` of `captured` is refunded.

    Cumulative and rounded down, so the parts of several refunds sum exactly
    to the whole fee when everything is refunded.
    """
    if captured <= 0:
        return 0
    return fee * refunded_after // captured


# -- wallet-to-wallet transfers -------------------------------------------------------


def transfer_legs(
    transfer_id: str,
    payer_wallet: str,
    payee_wallet: str,
    amount: int,
    payer_fee: int,
    payee_fee: int,
) -> list[Leg]:
    """The posted legs of a committed transfer: the amount between the wallets, each fee.

    Posted at once, not held first: the reservation lives at the wallets (the
    payer's holds the debit, the payee's the credit), so the switch's ledger
    records only the final movement, in the one transaction that commits the
    transfer. Ids derive from the transfer, so a retried commit posts nothing
    twice (the ledger answers ``exists``).
    """
    legs = [
        Leg(
            id=f"{transfer_id}/amount",
            debit_account_id=wallet_position(payer_wallet),
            credit_account_id=wallet_position(payee_wallet),
            amount=amount,
            asset=CNY,
            code=TransferCode.TRANSFER.value,
            reference=transfer_id,
        )
    ]
    for name, wallet, fee in (
        ("payer_fee", payer_wallet, payer_fee),
        ("payee_fee", payee_wallet, payee_fee),
    ):
        if fee > 0:
            legs.append(
                Leg(
                    id=f"{transfer_id}/{name}",
                    debit_account_id=wallet_position(wallet),
                    credit_account_id=wallet_fees(wallet),
                    amount=fee,
                    asset=CNY,
                    code=TransferCode.FEE.value,
                    reference=transfer_id,
                )
            )
    return chain(legs)


# -- points ---------------------------------------------------------------------------


def grant_points(grant_id: str, program: str, member: str, points: int) -> list[Leg]:
    """A program credits points to its member."""
    return [
        Leg(
            id=f"{grant_id}/grant",
            debit_account_id=points_issued(program),
            credit_account_id=member_points(program, member),
            amount=points,
            asset=points_asset(program),
            code=TransferCode.DEPOSIT.value,
            reference=grant_id,
        )
    ]


def hold_points(
    exchange_id: str, program: str, member: str, points: int, hold_seconds: int
) -> list[Leg]:
    """An exchange holds the member's points (refused when the member has too few)."""
    return [
        Leg(
            id=f"{exchange_id}/points",
            debit_account_id=member_points(program, member),
            credit_account_id=points_redeemed(program),
            amount=points,
            asset=points_asset(program),
            code=TransferCode.EXCHANGE.value,
            reference=exchange_id,
            flags=TransferFlags.PENDING,
            timeout=hold_seconds + HOLD_GRACE_SECONDS,
        )
    ]


def settle_exchange(
    exchange_id: str, program_from: str, program_to: str, money_owed: int, *, commit: bool
) -> list[Leg]:
    """Post the points and record what program A owes program B, or void the points."""
    legs = [
        Leg(
            id=f"{exchange_id}/points/{'commit' if commit else 'release'}",
            code=TransferCode.EXCHANGE.value,
            reference=exchange_id,
            flags=TransferFlags.POST_PENDING if commit else TransferFlags.VOID_PENDING,
            pending_id=f"{exchange_id}/points",
        )
    ]
    if commit and money_owed > 0:
        legs.append(
            Leg(
                id=f"{exchange_id}/money",
                debit_account_id=program_position(program_from),
                credit_account_id=program_position(program_to),
                amount=money_owed,
                asset=CNY,
                code=TransferCode.EXCHANGE.value,
                reference=exchange_id,
            )
        )
    return chain(legs)
