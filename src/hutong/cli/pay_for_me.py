"""`hutong pay for-me ...`: pay-for-me (找朋友帮忙付) requests, with a participant's key.

The buyer's host turns one of its payments into a request (`create`): a link
(`/p/<code>`) and a share text anyone may open in any app. A friend's app
pays it with a wallet it and the merchant's platform accept (`pay`, as that
app); the host may withdraw it (`cancel`). `show` reads the public page's
facts (no key: anyone with the link may). The payer's account is never shown.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hutong.cli import remote
from hutong.cli._common import AsJson, answer, console
from hutong.payments.pay_for_me import DEFAULT_EXPIRES_IN

app = typer.Typer(
    help="Pay-for-me requests: create, pay, cancel (with a key), show.", no_args_is_help=True
)

SWITCH = remote.DEFAULT_SWITCH_URL


def code_of(code_or_url: str) -> str:
    """The request's code, given the code or its link (`.../p/<code>`)."""
    return code_or_url.rsplit("/p/", 1)[-1].split("?", 1)[0]


def _request(body: dict[str, Any]) -> None:
    request = body["request"]
    paid = (
        f" by {request['payer_host']} with {request['payer_wallet']}"
        if request["payer_host"]
        else ""
    )
    console.print(
        f"{request['id']}: {request['state']}{paid} (payment {request['payment_id']}, "
        f"until {request['expires_at']})\n{request['url']}\n{request['share_text']}",
        soft_wrap=True,
        highlight=False,
    )


@app.command()
def create(
    payment_id: str,
    buyer: Annotated[str, typer.Option(help="Your pseudonymous id of the buyer.")],
    expires_in: Annotated[
        int, typer.Option(help="Seconds the request stays open.", min=1)
    ] = DEFAULT_EXPIRES_IN,
    note: Annotated[str, typer.Option(help="A note for whoever opens it.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Ask someone else to pay a payment (as its host): a link and a share text."""
    path = remote.path_of("/v1/payments/{}/pay-for-me", payment_id)
    message = {"buyer": buyer, "expires_in": expires_in, "note": note}
    answer(remote.send(key_file, switch_url, path, message, message_id), as_json, _request)


@app.command()
def pay(
    code: Annotated[str, typer.Argument(help="The request's code, or its link.")],
    wallet: Annotated[str, typer.Option(help="The wallet the friend pays with.")],
    payer: Annotated[str, typer.Option(help="The friend's account at the wallet.")],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Pay a request (as the app the friend opened it in): the wallet holds the amount."""
    path = remote.path_of("/v1/pay-for-me/{}/pay", code_of(code))
    message = {"wallet": wallet, "payer": payer}
    answer(remote.send(key_file, switch_url, path, message, message_id), as_json, _request)


@app.command()
def cancel(
    request_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Withdraw an open request (as the host that made it)."""
    path = remote.path_of("/v1/pay-for-me/{}/cancel", request_id)
    answer(remote.send(key_file, switch_url, path, {}, message_id), as_json, _request)


@app.command()
def show(
    code: Annotated[str, typer.Argument(help="The request's code, or its link.")],
    host: Annotated[str, typer.Option(help="As opened in this app: its accepted wallets.")] = "",
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """What a request asks, as its public page shows it (no key needed)."""

    def human(facts: dict[str, Any]) -> None:
        console.print(
            f"{facts['request_id']}: {facts['state']}: {facts['requester']} asks "
            f"{facts['amount']} fen for {facts['merchant']} (until {facts['expires_at']})"
            + (f"\n{facts['note']}" if facts["note"] else ""),
            soft_wrap=True,
            highlight=False,
        )

    path = remote.path_of("/p/{}", code_of(code), host=host)
    answer(remote.public_read(switch_url, path), as_json, human)
