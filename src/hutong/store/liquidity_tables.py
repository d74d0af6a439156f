"""Liquidity in settlement (issue 18 §4), on the switch's one metadata.

Each participant's declared net debit cap and prefunded amount (versions,
never updated), its position (what it owes the network net, moved by the
ledger in the same transaction as every transfer) and its answer to a closed
window's settlement (confirmed or disputed). Re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Integer, String, Table, Text

from hutong.store.schema import known, metadata, not_negative
from hutong.store.types import UTCDateTime

__all__ = [
    "ACKNOWLEDGEMENTS",
    "liquidity_limits",
    "liquidity_positions",
    "settlement_acknowledgements",
]

#: A participant's answer to its settlement in a closed window.
ACKNOWLEDGEMENTS = ("confirmed", "disputed")

#: The operator's declarations: from `declared_at` on, the participant may owe the
#: network (its position) at most `net_debit_cap` fen, which its `prefunded` covers.
liquidity_limits = Table(
    "liquidity_limits",
    metadata,
    Column("participant", String(255), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("net_debit_cap", BigInteger, nullable=False),
    Column("prefunded", BigInteger, nullable=False),
    Column("declared_at", UTCDateTime(), nullable=False),
    Column("declared_by", String(255), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    not_negative("net_debit_cap"),
    not_negative("prefunded"),
    CheckConstraint("net_debit_cap <= prefunded", name="cap_covered"),
)

#: What each owner of a CNY ledger account owes the network, net, in fen: over its
#: accounts, debits posted and pending less credits posted, less what settled windows
#: settled. Negative: the network owes it.
liquidity_positions = Table(
    "liquidity_positions",
    metadata,
    Column("participant", String(255), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

#: A participant's confirmation or dispute of its settlement in a closed window.
settlement_acknowledgements = Table(
    "settlement_acknowledgements",
    metadata,
    Column("window_id", String(64), primary_key=True),
    Column("participant", String(255), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("at", UTCDateTime(), nullable=False),
    known("state", ACKNOWLEDGEMENTS),
)
