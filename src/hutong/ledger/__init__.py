"""The double-entry ledger: accounts, transfers, splits. Every fen and point moves here."""
