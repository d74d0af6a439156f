"""The seed world's wallet acceptance (DESIGN.md §1) as dated `AcceptancePolicy` versions.

Carried over from the payment_acceptance events of the shared timeline; the
project never reads the shared files at run time. Platforms and wallets are
named by their short ids (``jd``, ``alipay``...); the registry's subscriber id
of each is ``<id>.example``. Where a source gives only the month or the year,
the version starts on the 1st and its note says so.

What the sources report, and how it is encoded:

* JD stopped accepting Alipay in 2011 (the year only) and JD Mall accepted it
  again from 2024-10-29: a refusal from 2011-01-01, then every wallet.
* Taobao officially supported WeChat Pay from 2024-09-27. When its refusal
  began is not reported; the sources attest it from 2021-10 (only Taobao
  Special Edition, a separate app, took WeChat Pay then) and 2022-10 (a WeChat
  friend could pay a Taobao order only through "find a friend to help pay").
  The refusal is encoded from 2021-10-01, the earliest attested month, rather
  than from a guessed start.
* Tmall accepted WeChat Pay for Double 11 2024 (2024-11-11). Its earlier
  stance is not reported, so nothing is declared before that version.

Not encoded: Taobao Special Edition (not a platform of the seed world) and the
2022-10 pay-for-me path (acceptance here is per platform, not per kind of
payment).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hutong.payments.checkout import AcceptanceHistory, AcceptancePolicy

SEED_ACCEPTANCE_POLICIES: tuple[AcceptancePolicy, ...] = (
    AcceptancePolicy(
        platform="jd",
        valid_from=date(2011, 1, 1),
        refused={"alipay": "JD stopped accepting Alipay"},
        note="the year is reported, not the day",
    ),
    AcceptancePolicy(
        platform="jd",
        valid_from=date(2024, 10, 29),
        declared_at=date(2024, 10, 29),
        note="JD Mall accepts Alipay",
    ),
    AcceptancePolicy(
        platform="taobao",
        valid_from=date(2021, 10, 1),
        refused={"wechatpay": "Taobao's checkout does not offer WeChat Pay"},
        note="the start is not reported; attested from 2021-10 (the month is reported)",
    ),
    AcceptancePolicy(
        platform="taobao",
        valid_from=date(2024, 9, 27),
        declared_at=date(2024, 9, 27),
        note="Taobao officially supports WeChat Pay",
    ),
    AcceptancePolicy(
        platform="tmall",
        valid_from=date(2024, 11, 11),
        declared_at=date(2024, 11, 11),
        note="Tmall accepts WeChat Pay for Double 11; its earlier stance is not reported",
    ),
)


def as_declared(policy: AcceptancePolicy) -> dict[str, Any]:
    """A seed policy as its platform declares it (short ids become subscriber ids)."""
    return {
        "valid_from": policy.valid_from.isoformat(),
        "accepts": None if policy.accepts is None else [f"{w}.example" for w in policy.accepts],
        "refused": {f"{w}.example": reason for w, reason in policy.refused.items()},
        "note": policy.note,
    }


def seed_acceptance() -> dict[str, AcceptanceHistory]:
    """A fresh history per platform with the seed policies declared as its versions."""
    histories: dict[str, AcceptanceHistory] = {}
    for policy in SEED_ACCEPTANCE_POLICIES:
        history = histories.get(policy.platform)
        if history is None:
            history = histories[policy.platform] = AcceptanceHistory(policy.platform)
        history.declare(policy)
    return histories
