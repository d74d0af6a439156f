"""Payments, pay-for-me, wallet-to-wallet transfers and points exchange.

One package per aggregate, each importable by its public face:

- `hutong.payments.checkout`: a payment, from creation to refund (create,
  authorize, capture, void, refund, expire) and which wallets may pay;
- `hutong.payments.pay_for_me`: a buyer hands a payment to someone else;
- `hutong.payments.transfers`: wallet to wallet, by alias (directory,
  quotes, execute);
- `hutong.payments.points`: membership programs' offers, grants, exchanges.

Shared by them: `rules` (amounts, `PaymentError`, the state machine runner),
`fees` (the wallets' fee formulas), `legs` (the ledger legs of every step),
`posting` (writing legs in a step's transaction) and `calls` (asking a wallet
or a program to decide).
"""
