"""`hutong wallet ...` and `hutong pay acceptance declare`: what wallets charge, who accepts them.

A wallet declares its fees per kind of payment (`--fee KIND=BPS[+FIXED_FEN]`,
kinds order, pay_for_me, transfer); anyone with a key lists every wallet's
declared fees. A platform declares which wallets it accepts from a day on
(every wallet, or only `--accept`ed ones; `--refuse WALLET=REASON` names a
refusal and its reason). Each declaration is signed with the key file.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import AsJson, Correction, answer, console, with_correction

app = typer.Typer(help="Wallets: declare your fees, list everyone's.", no_args_is_help=True)

SWITCH = remote.DEFAULT_SWITCH_URL


def _fee(text: str) -> dict[str, Any]:
    """`KIND=BPS` or `KIND=BPS+FIXED` as the switch's fee rule."""
    kind, _, rate = text.partition("=")
    bps, _, fixed = rate.partition("+")
    if not kind or not bps.isdigit() or (fixed and not fixed.isdigit()):
        raise typer.BadParameter(f"a fee is KIND=BPS or KIND=BPS+FIXED_FEN, not {text!r}")
    return {"kind": kind, "bps": int(bps), "fixed": int(fixed or 0)}


def _fees(profiles: list[dict[str, Any]]) -> None:
    table = Table("wallet", "kind", "bp", "fixed (fen)")
    for profile in profiles:
        for fee in profile["fees"]:
            table.add_row(profile["wallet"], fee["kind"], str(fee["bps"]), str(fee["fixed"]))
    console.print(table)


@app.command()
def fees(
    fee: Annotated[list[str], typer.Option(help="KIND=BPS[+FIXED_FEN], per kind (repeatable).")],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Declare your fees (as the wallet): they replace the ones declared before."""
    message = {"currencies": ["CNY"], "fees": [_fee(text) for text in fee]}
    body = remote.send(key_file, switch_url, "/v1/wallet/profile", message, message_id)
    answer(body, as_json, lambda said: _fees([said["profile"]]))


@app.command("list")
def list_wallets(
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Every registered wallet and its declared fees."""
    body = remote.read(key_file, switch_url, "/v1/wallets")
    answer(body, as_json, lambda said: _fees(said["wallets"]))


def _refused(items: list[str]) -> dict[str, str]:
    refused = {}
    for item in items:
        wallet, _, reason = item.partition("=")
        if not wallet or not reason.strip():
            raise typer.BadParameter(f"a refusal is WALLET=REASON, not {item!r}")
        refused[wallet] = reason
    return refused


def declare_acceptance(
    valid_from: Annotated[str, typer.Option(help="The first day (UTC, YYYY-MM-DD) it holds.")],
    accept: Annotated[
        list[str] | None, typer.Option(help="Only these wallets (repeatable; default: every).")
    ] = None,
    refuse: Annotated[
        list[str] | None, typer.Option(help="WALLET=REASON refused (repeatable).")
    ] = None,
    note: Annotated[str, typer.Option(help="A note kept with the version.")] = "",
    correction: Correction = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Declare which wallets you accept (as the platform): a new version from --valid-from."""
    message = {
        "valid_from": valid_from,
        "accepts": accept or None,
        "refused": _refused(refuse or []),
        "note": note,
    }
    body = remote.send(
        key_file,
        switch_url,
        "/v1/acceptance-policy",
        with_correction(message, correction),
        message_id,
    )

    def human(said: dict[str, Any]) -> None:
        policy = said["policy"]
        accepts = "every wallet" if policy["accepts"] is None else ", ".join(policy["accepts"])
        refusals = "; ".join(f"{w}: {r}" for w, r in policy["refused"].items()) or "none"
        console.print(
            f"{policy['platform']} version {policy['version']} from {policy['valid_from']}: "
            f"accepts {accepts}; refuses {refusals}",
            soft_wrap=True,
            highlight=False,
        )

    answer(body, as_json, human)
