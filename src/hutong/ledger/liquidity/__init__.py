"""Liquidity in settlement: net debit caps, prefunded amounts and positions (issue 18 §4).

``rules`` holds the pure rules (what a position is, when a movement is past
the cap), ``store`` the rows and how positions move with the ledger,
``service`` what the routes, the CLI and the payment steps call.
"""

from hutong.ledger.liquidity.rules import (
    LIQUIDITY_ASSET,
    CapExceeded,
    Limit,
    LiquidityError,
    check_cap,
    net_debit,
    position_changes,
)

__all__ = [
    "LIQUIDITY_ASSET",
    "CapExceeded",
    "Limit",
    "LiquidityError",
    "check_cap",
    "net_debit",
    "position_changes",
]
