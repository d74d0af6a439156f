"""Payments, pay-for-me, wallet-to-wallet transfers and points exchange."""
