"""Wallet-to-wallet transfers API: the alias directory, quotes, two-phase transfers.

Every call is signed by a wallet, which acts for its own users. Aliases travel
in POST bodies only (a phone number is never in a URL, so never in an access
log), and answers show them masked. Writes are exactly once per message id:
a quote asks nobody, so it is one write with its answer (`run_once`);
executing a transfer asks both wallets before its write (`transfers.execute_once`,
the same service the CLI's `transfer send --as` calls), so a retried request
never asks twice once answered.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, Router, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody
from hutong.api.documented import CALLS_PARTICIPANTS
from hutong.api.idempotency import message_key, refusal_reply, respond, run_once
from hutong.api.routes.transfers_out import (
    EXECUTE_OPT,
    LOOKUP_OPT,
    PUBLISH_OPT,
    QUOTE_OPT,
    REMOVE_OPT,
    SHOW_OPT,
)
from hutong.api.routes.transfers_presenters import executed_out, quote_out
from hutong.net.transport import call_transport
from hutong.payments import transfers
from hutong.payments.transfers import directory
from hutong.protocol.envelope import Context
from hutong.protocol.errors import ValidationError

# -- request bodies (decoded strictly: money is a JSON integer) ------------------------------


class AliasIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: phone or handle
    kind: str
    value: str


class RegisterAliasIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: str
    value: str
    #: The wallet's own reference of its user's account (opaque to the switch).
    account: str
    #: Whose entry this is (default: the sender; another wallet's is refused).
    wallet: str = ""


class SignedRegisterAlias(msgspec.Struct, kw_only=True):
    context: Context
    message: RegisterAliasIn


class RemoveAliasIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: str
    value: str
    wallet: str = ""


class SignedRemoveAlias(msgspec.Struct, kw_only=True):
    context: Context
    message: RemoveAliasIn


class SignedLookup(msgspec.Struct, kw_only=True):
    #: A lookup writes nothing: its message id, if any, is not needed.
    context: dict[str, Any] = msgspec.field(default_factory=dict)
    message: AliasIn


class QuoteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    #: The payer's account at the sending wallet.
    payer: str
    amount: int
    #: The payee: an alias, or the payee token a lookup answered (one of the two).
    alias: AliasIn | None = None
    payee_token: str = ""
    #: Required when several wallets published the alias.
    payee_wallet: str = ""
    ttl_seconds: int = transfers.DEFAULT_QUOTE_TTL


class SignedQuote(msgspec.Struct, kw_only=True):
    context: Context
    message: QuoteIn


class ExecuteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class SignedExecute(msgspec.Struct, kw_only=True):
    context: Context
    message: ExecuteIn = msgspec.field(default_factory=ExecuteIn)


# -- the alias directory ------------------------------------------------------------------


@post(
    "/aliases",
    status_code=201,
    dto=StrictBody[SignedRegisterAlias],
    return_dto=None,
    summary="Publish an alias of one of your users (wallets)",
    opt=PUBLISH_OPT,
)
async def register_alias(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedRegisterAlias]
) -> Response[bytes]:
    body = data.message
    await transfers.require_wallet(services, signed.subscriber_id)
    alias = directory.parse(body.kind, body.value)
    if not body.account or len(body.account) > transfers.MAX_ACCOUNT:
        raise ValidationError(
            f"account is 1 to {transfers.MAX_ACCOUNT} characters", code="invalid_alias"
        )
    key = directory.directory_key(services)

    async def write(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        entry, created = await directory.register(
            conn,
            key,
            alias,
            wallet=body.wallet or signed.subscriber_id,
            account=body.account,
            acting=signed.subscriber_id,
            now=services.clock(),
        )
        return (201 if created else 200), {"alias": directory.entry_out(entry), "created": created}

    return await run_once(services, signed, write)


@post(
    "/aliases/remove",
    status_code=200,
    dto=StrictBody[SignedRemoveAlias],
    return_dto=None,
    summary="Withdraw an alias you published (wallets)",
    opt=REMOVE_OPT,
)
async def remove_alias(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedRemoveAlias]
) -> Response[bytes]:
    body = data.message
    await transfers.require_wallet(services, signed.subscriber_id)
    alias = directory.parse(body.kind, body.value)
    key = directory.directory_key(services)

    async def write(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        entry = await directory.remove(
            conn,
            key,
            alias,
            wallet=body.wallet or signed.subscriber_id,
            acting=signed.subscriber_id,
        )
        return 200, {"removed": directory.entry_out(entry)}

    return await run_once(services, signed, write)


@post(
    "/aliases/lookup",
    status_code=200,
    dto=StrictBody[SignedLookup],
    return_dto=None,
    summary="Which wallets serve an alias (masked, a payee token each; limited per wallet)",
    opt=LOOKUP_OPT,  # 429: the wallet's alias-lookup allowance
)
async def lookup_alias(
    services: ServicesDep, sender: SenderDep, data: JSONBody[SignedLookup]
) -> dict[str, Any]:
    body = data.message
    await transfers.require_wallet(services, sender)
    entries = await directory.find(services, sender, directory.parse(body.kind, body.value))
    key = directory.directory_key(services)
    return {"entries": [directory.found_out(key, e) for e in entries]}


# -- transfers ----------------------------------------------------------------------------


@post(
    "/transfers/quote",
    status_code=201,
    dto=StrictBody[SignedQuote],
    return_dto=None,
    summary="Quote a transfer to an alias or a payee token (payer's wallet)",
    opt=QUOTE_OPT,  # 429: the wallet's alias-lookup allowance
)
async def quote_transfer(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedQuote]
) -> Response[bytes]:
    body = data.message
    if (body.alias is None) == (not body.payee_token):
        raise ValidationError(
            "name the payee by alias or by payee_token (one of the two)", code="invalid_payee"
        )
    spec = transfers.QuoteRequest(
        payer=body.payer,
        alias=None if body.alias is None else directory.parse(body.alias.kind, body.alias.value),
        payee_token=body.payee_token,
        amount=body.amount,
        payee_wallet=body.payee_wallet,
        ttl_seconds=body.ttl_seconds,
    )
    write = await transfers.quote(services, signed.subscriber_id, spec)
    return await run_once(services, signed, write, quote_out)


@post(
    "/transfers/{transfer_id:str}/execute",
    status_code=200,
    dto=StrictBody[SignedExecute],
    return_dto=None,
    summary="Execute a quote: ask both wallets (asking), commit both sides or neither",
    opt=EXECUTE_OPT,
)
async def execute_transfer(
    services: ServicesDep,
    signed: SignedDep,
    transfer_id: FromPath[str],
    data: JSONBody[SignedExecute],  # checked and documented: an empty message
) -> Response[bytes]:
    answer = await transfers.execute_once(
        services, call_transport(), message_key(signed), transfer_id, executed_out, refusal_reply
    )
    return respond(answer)


@get("/transfers/{transfer_id:str}", summary="A transfer (its two wallets, auditors)", opt=SHOW_OPT)
async def show_transfer(
    services: ServicesDep, sender: SenderDep, transfer_id: FromPath[str]
) -> dict[str, Any]:
    return {"transfer": (await transfers.readable(services, sender, transfer_id)).to_dict()}


router = Router(
    path="/v1",
    opt={CALLS_PARTICIPANTS: True},
    route_handlers=[
        register_alias,
        remove_alias,
        lookup_alias,
        quote_transfer,
        execute_transfer,
        show_transfer,
    ],
    middleware=[SignedRequestMiddleware()],
    tags=["transfers"],
    security=[{"beckn": []}],
)
