"""`hutong pay ...`: payments for the operator, and for trying them by hand.

A participant acts with its key (`--key-file`, `HUTONG_KEY_FILE`): signed
requests to the switch at `--switch-url`. The operator may instead write the
database directly as a participant (`--as`), through the same services,
checks and exactly-once record as the API (`hutong.cli.once`); a step that
asks a wallet calls it over signed HTTP, exactly as the switch would.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.routes.payments_presenters import (
    acceptance_out,
    created_out,
    payment_out,
    refund_out,
)
from hutong.api.schemas import correction_out
from hutong.cli import once, remote
from hutong.cli._common import AsJson, answer, console, show_json, with_services
from hutong.ledger.models import yuan
from hutong.net.transport import call_transport
from hutong.payments import checkout
from hutong.payments.checkout import AcceptancePolicy, store
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services
from hutong.store.corrections import CorrectionRecord
from hutong.world.acceptance import SEED_ACCEPTANCE_POLICIES
from hutong.world.story import history_correction

app = typer.Typer(help="Payments: create, authorize, capture, void, refund.", no_args_is_help=True)
acceptance_app = typer.Typer(help="Which wallets platforms accept.", no_args_is_help=True)
app.add_typer(acceptance_app, name="acceptance")

T = TypeVar("T")
SWITCH = remote.DEFAULT_SWITCH_URL


def _path(payment_id: str, step: str) -> str:
    return remote.path_of("/v1/payments/{}/" + step, payment_id)


@app.command()
def create(
    merchant: Annotated[str, typer.Option(help="The merchant paid.")],
    amount: Annotated[int, typer.Option(help="Amount in fen.", min=1)],
    host: Annotated[str, typer.Option(help="The app the buyer is in (default: the sender).")] = "",
    wallet: Annotated[str, typer.Option(help="The wallet chosen, if already known.")] = "",
    payer: Annotated[str, typer.Option(help="The payer's account at the wallet.")] = "",
    reference: Annotated[str, typer.Option(help="The order's reference.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    sender: remote.As = None,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Create a payment (as the host or the merchant's platform)."""
    message: dict[str, Any] = {
        "merchant": merchant,
        "amount": amount,
        "host": host,
        "wallet": wallet,
        "payer": payer,
        "reference": reference,
    }
    spec = checkout.NewPayment(**message)
    remote.act(
        sender,
        key_file,
        switch_url,
        ("/v1/payments", message),
        once.decided(
            lambda services, sent: checkout.create(services, sent.sender, spec), created_out
        ),
        message_id=message_id,
    )


@app.command()
def authorize(
    payment_id: str,
    wallet: Annotated[str, typer.Option(help="The wallet that pays.")] = "",
    payer: Annotated[str, typer.Option(help="The payer's account at the wallet.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    sender: remote.As = None,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Ask the wallet to hold the amount."""
    remote.act(
        sender,
        key_file,
        switch_url,
        (_path(payment_id, "authorize"), {"wallet": wallet, "payer": payer}),
        once.decided(
            lambda services, sent: checkout.authorize(
                services,
                call_transport(),
                sent.sender,
                payment_id,
                wallet=wallet,
                payer=payer,
                attempt=sent.message_id,
            ),
            payment_out,
        ),
        message_id=message_id,
    )


@app.command()
def capture(
    payment_id: str,
    amount: Annotated[
        int | None, typer.Option(help="Fen to capture (default: all).", min=1)
    ] = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    sender: remote.As = None,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Capture all or part of the hold."""
    remote.act(
        sender,
        key_file,
        switch_url,
        (_path(payment_id, "capture"), {} if amount is None else {"amount": amount}),
        once.decided(
            lambda services, sent: checkout.capture(
                services, call_transport(), sent.sender, payment_id, amount
            ),
            payment_out,
        ),
        message_id=message_id,
    )


@app.command()
def void(
    payment_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    sender: remote.As = None,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Cancel the payment; the hold is released."""
    remote.act(
        sender,
        key_file,
        switch_url,
        (_path(payment_id, "void"), {}),
        once.decided(
            lambda services, sent: checkout.void(
                services, call_transport(), sent.sender, payment_id
            ),
            payment_out,
        ),
        message_id=message_id,
    )


@app.command()
def refund(
    payment_id: str,
    amount: Annotated[int, typer.Option(help="Fen to give back.", min=1)],
    refund_id: Annotated[str, typer.Option(help="Your id of this refund.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    sender: remote.As = None,
    message_id: remote.MessageId = None,
    as_json: remote.JsonAnswer = False,
) -> None:
    """Refund part or all of what was captured."""

    def given(message_id: str | None) -> str:
        return remote.derived_id("rf", refund_id, message_id)

    def direct(sent: once.Sent) -> dict[str, Any]:
        refunded = given(sent.message_id)
        return once.decided(
            lambda services, _: checkout.refund(
                services, call_transport(), sent.sender, payment_id, amount, refunded
            ),
            refund_out(refunded),
        )(sent)

    remote.act(
        sender,
        key_file,
        switch_url,
        (_path(payment_id, "refunds"), lambda sent: {"amount": amount, "refund_id": given(sent)}),
        direct,
        message_id=message_id,
    )


@app.command()
def show(
    payment_id: str, key_file: remote.KeyFile = None, switch_url: remote.SwitchUrl = SWITCH
) -> None:
    """One payment: as a party to it (--key-file), or as the switch keeps it (operator)."""

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            return {"payment": (await store.require_payment(conn, payment_id)).to_dict()}

    path = remote.path_of("/v1/payments/{}", payment_id)
    show_json(remote.read_or_direct(key_file, switch_url, path, lambda: with_services(work)))


@app.command("list")
def list_payments(
    party: Annotated[str | None, typer.Option(help="Only this participant's payments.")] = None,
    limit: int = 50,
) -> None:
    """The latest payments."""

    async def work(services: Services) -> list[store.PaymentRow]:
        async with services.db.read() as conn:
            return await store.list_payments(conn, party=party, limit=limit)

    table = Table("id", "state", "host", "merchant", "wallet", "amount", "captured", "refunded")
    for p in with_services(work):
        table.add_row(
            p.id,
            p.state.value,
            p.host,
            p.merchant,
            p.wallet or "-",
            yuan(p.amount),
            yuan(p.captured),
            yuan(p.refunded),
        )
    console.print(table)


@app.command()
def options(
    host: Annotated[str, typer.Option(help="The app the buyer is in.")],
    merchant: Annotated[str, typer.Option(help="The merchant.")],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
) -> None:
    """The wallets a buyer may choose, and every refusal (with its policy and date).

    With --key-file, asked of the switch over HTTP; without, from the database (operator).
    """
    if key_file is not None:
        show_json(remote.read(key_file, switch_url, "/v1/payments/options", merchant=merchant,
                              host=host))  # fmt: skip
        return

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            platform = await store.home_platform(conn, merchant)
        return checkout.choice_out(await checkout.wallet_choice(services, host, platform))

    show_json(with_services(work))


@acceptance_app.command("show")
def acceptance_show(
    platform: str,
    at: Annotated[str | None, typer.Option(help="The day (YYYY-MM-DD); default today.")] = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """A platform's acceptance policy on a day, and its versions.

    With --key-file, asked of the switch over HTTP; without, from the database (operator).
    """
    day = date.fromisoformat(at) if at else None
    if key_file is not None:
        path = remote.path_of("/v1/acceptance-policy/{}", platform)
        answer(remote.read(key_file, switch_url, path, at=at), as_json, _acceptance)
        return

    async def work(services: Services) -> dict[str, Any]:
        async with services.db.read() as conn:
            history = await store.acceptance_history(conn, platform)
            corrected = await store.acceptance_corrections(conn, platform)
        wanted = day or services.clock().date()
        in_force = history.in_force(wanted)
        return {
            "platform": platform,
            "at": wanted.isoformat(),
            "in_force": None if in_force is None else {"version": in_force.version},
            "versions": [_version(p, corrected.get(p.version)) for p in history.versions],
        }

    answer(with_services(work), as_json, _acceptance)


def _version(policy: AcceptancePolicy, correction: CorrectionRecord | None) -> dict[str, Any]:
    """A version as `GET /v1/acceptance-policy/{platform}` answers it."""
    return acceptance_out(policy) | {"correction": correction_out(correction)}


def _acceptance(body: dict[str, Any]) -> None:
    in_force = body["in_force"]
    said = "no declaration (every wallet)" if in_force is None else f"version {in_force['version']}"
    console.print(f"{body['platform']} on {body['at']}: {said}")
    table = Table("version", "valid from", "accepts", "refused", "note", "back-dated")
    for p in body["versions"]:
        correction = p.get("correction")
        table.add_row(
            str(p["version"]),
            p["valid_from"],
            "every wallet" if p["accepts"] is None else ", ".join(p["accepts"]),
            "; ".join(f"{w}: {r}" for w, r in p["refused"].items()) or "-",
            p["note"],
            "-"
            if not correction
            else f"correction declared {correction['declared_at'][:10]}: {correction['reason']}",
        )
    console.print(table)


def seed_policies() -> list[AcceptancePolicy]:
    """The seed world's acceptance facts with registry ids (`jd` -> `jd.example`)."""
    return [
        AcceptancePolicy(
            platform=f"{p.platform}.example",
            valid_from=p.valid_from,
            accepts=None if p.accepts is None else frozenset(f"{w}.example" for w in p.accepts),
            refused={f"{w}.example": reason for w, reason in p.refused.items()},
            declared_at=p.declared_at or p.valid_from,
            note=p.note,
        )
        for p in SEED_ACCEPTANCE_POLICIES
    ]


@acceptance_app.command("seed")
def acceptance_seed(message_id: remote.MessageId = None) -> None:
    """Declare the seed world's acceptance history (2011-2024) where none is declared yet.

    Once per --message-id: the same command again says what the first declared.
    """

    def seeding(services: Services) -> Write[int]:
        async def write(conn: AsyncConnection) -> int:
            declared = 0
            for policy in seed_policies():
                history = await store.acceptance_history(conn, policy.platform)
                if any(
                    (v.valid_from, v.note) == (policy.valid_from, policy.note)
                    for v in history.versions
                ):
                    continue  # seeded before
                now = services.clock()
                correction = history_correction(policy.valid_from, now.date())
                await store.declare_acceptance(conn, policy, now, correction=correction)
                declared += 1
            return declared

        return write

    body = once.as_operator(
        message_id, ("POST", "hutong pay acceptance seed", {}), seeding, once.counted, create=True
    )
    console.print(f"declared {body['declared']} acceptance policy versions")
