"""The ledger API, for the operator (bearer token) and for participants (signed).

The operator creates accounts, submits transfers (up to 8190 per call),
posts and voids holds, and reads everything. A participant reads its own
accounts and their history; an auditor reads all. Transfers are idempotent
by their own ids, so a retried call never moves money twice.
"""

from __future__ import annotations

import msgspec
from litestar import Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequest, SignedRequestMiddleware, is_switch
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody
from hutong.api.documented import RESULT
from hutong.api.idempotency import Reply, run_decided, run_once
from hutong.api.params import Int64
from hutong.api.routes.ledger_schemas import (
    TRANSFER_FLAGS,
    AccountOut,
    AccountsIn,
    CheckOut,
    HistoryOut,
    ItemResult,
    ResolveIn,
    ResultsOut,
    SignedAccountsIn,
    SignedTransfersIn,
    TransferIn,
    TransfersIn,
    account_out,
    transfer_out,
)
from hutong.api.routes.operator import operator_guard
from hutong.ledger.check import check_ledger
from hutong.ledger.models import Account, AccountFlags, TransferFlags, TransferRequest
from hutong.ledger.service import MAX_BATCH
from hutong.ledger.store import NewAccount, create_accounts, get_account, history, list_accounts
from hutong.protocol.errors import ForbiddenError, NotFoundError, ValidationError
from hutong.registry.models import Role
from hutong.registry.service import require_participant
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

MAX_PAGE = 1000


def to_request(item: TransferIn) -> TransferRequest:
    flags = TransferFlags.NONE
    for name in item.flags:
        try:
            flags |= TRANSFER_FLAGS[name]
        except KeyError:
            known = ", ".join(TRANSFER_FLAGS)
            raise ValidationError(
                f"transfer {item.id}: unknown flag {name!r} (flags are {known})",
                code="invalid_flag",
            ) from None
    return TransferRequest(
        id=item.id,
        debit_account_id=item.debit_account_id,
        credit_account_id=item.credit_account_id,
        amount=item.amount,
        asset=item.asset,
        code=item.code,
        reference=item.reference,
        flags=flags,
        pending_id=item.pending_id,
        timeout=item.timeout,
    )


async def submit(services: Services, requests: list[TransferRequest]) -> ResultsOut:
    if len(requests) > MAX_BATCH:
        raise ValidationError(
            f"at most {MAX_BATCH} transfers per call, got {len(requests)}", code="batch_too_large"
        )
    results = await services.ledger().submit(requests)
    return ResultsOut(
        results=[
            ItemResult(r.id, result.value) for r, result in zip(requests, results, strict=True)
        ],
        ok=all(result.succeeded for result in results),
    )


async def _account(services: Services, account_id: str) -> Account:
    async with services.db.read() as conn:
        account = await get_account(conn, account_id)
    if account is None:
        raise NotFoundError(f"no ledger account {account_id}", code="unknown_account")
    return account


async def _by_path(services: Services, path: str) -> tuple[Account, bool]:
    """The account a path names, and whether its history is wanted.

    Account ids may contain '/' (the switch's own are `m/<merchant>/receivable`,
    `h/<host>/commission`...), so the route takes the rest of the path, raw or
    with '/' sent as %2F: the account whose id is the whole path, else
    `<id>/transfers` is that account's history.
    """
    account_id = path.lstrip("/")
    async with services.db.read() as conn:
        account = await get_account(conn, account_id)
        if account is None and account_id.endswith("/transfers"):
            account = await get_account(conn, account_id.removesuffix("/transfers"))
            if account is not None:
                return account, True
    if account is None:
        raise NotFoundError(f"no ledger account {account_id}", code="unknown_account")
    return account, False


async def _history(services: Services, account_id: str, after: int, limit: int) -> HistoryOut:
    await _account(services, account_id)
    limit = min(max(limit, 1), MAX_PAGE)
    async with services.db.read() as conn:
        entries = await history(conn, account_id, after=after, limit=limit)
    return HistoryOut(
        account_id=account_id,
        transfers=[transfer_out(e) for e in entries],
        next_after=entries[-1].seq if len(entries) == limit else None,
    )


# -- operator --------------------------------------------------------------------


def _new_accounts(data: AccountsIn) -> list[NewAccount]:
    return [
        NewAccount(
            id=a.id,
            owner=a.owner,
            asset=a.asset,
            kind=a.kind,
            flags=(
                AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
                if a.debits_must_not_exceed_credits
                else AccountFlags.NONE
            )
            | (
                AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
                if a.credits_must_not_exceed_debits
                else AccountFlags.NONE
            ),
        )
        for a in data.accounts
    ]


async def _create_in(
    conn: AsyncConnection, services: Services, new: list[NewAccount]
) -> ResultsOut:
    results = await create_accounts(conn, new, services.clock())
    return ResultsOut(
        results=[ItemResult(a.id, r) for a, r in zip(new, results, strict=True)],
        ok=all(r in ("ok", "exists") for r in results),
    )


async def create(services: Services, data: AccountsIn) -> ResultsOut:
    new = _new_accounts(data)
    async with services.db.transaction() as conn:
        return await _create_in(conn, services, new)


def _results(results: ResultsOut) -> Reply:
    return 200, msgspec.to_builtins(results)


@post(
    "/accounts",
    status_code=200,
    dto=StrictBody[AccountsIn],
    return_dto=None,
    summary="Create ledger accounts (idempotent by id)",
    opt={RESULT: ResultsOut},
)
async def operator_create_accounts(services: ServicesDep, data: JSONBody[AccountsIn]) -> ResultsOut:
    return await create(services, data)


@post(
    "/transfers",
    status_code=200,
    dto=StrictBody[TransfersIn],
    return_dto=None,
    summary="Submit transfers (one result code each)",
    opt={RESULT: ResultsOut},
)
async def operator_transfers(services: ServicesDep, data: JSONBody[TransfersIn]) -> ResultsOut:
    return await submit(services, [to_request(t) for t in data.transfers])


@post(
    "/pending/{pending_id:str}/post",
    status_code=200,
    dto=StrictBody[ResolveIn],
    return_dto=None,
    summary="Post a hold, all or part",
)
async def operator_post(
    services: ServicesDep, pending_id: FromPath[str], data: JSONBody[ResolveIn]
) -> ResultsOut:
    transfer = TransferRequest(
        id=data.id, pending_id=pending_id, amount=data.amount, flags=TransferFlags.POST_PENDING
    )
    return await submit(services, [transfer])


@post(
    "/pending/{pending_id:str}/void",
    status_code=200,
    dto=StrictBody[ResolveIn],
    return_dto=None,
    summary="Release a hold",
)
async def operator_void(
    services: ServicesDep, pending_id: FromPath[str], data: JSONBody[ResolveIn]
) -> ResultsOut:
    transfer = TransferRequest(id=data.id, pending_id=pending_id, flags=TransferFlags.VOID_PENDING)
    return await submit(services, [transfer])


@get("/accounts", summary="Accounts and balances, optionally of one owner")
async def operator_accounts(
    services: ServicesDep, owner: FromQuery[str | None] = None
) -> list[AccountOut]:
    async with services.db.read() as conn:
        return [account_out(a) for a in await list_accounts(conn, owner)]


@get(
    "/accounts/{account_path:path}",
    summary="One account, or with /transfers its history (ids may contain '/')",
)
async def operator_account(
    services: ServicesDep,
    account_path: FromPath[str],
    after: FromQuery[Int64] = 0,
    limit: FromQuery[int] = 100,
) -> AccountOut | HistoryOut:
    account, history_of = await _by_path(services, account_path)
    if history_of:
        return await _history(services, account.id, after, limit)
    return account_out(account)


@get("/check", summary="Verify the ledger's invariants")
async def operator_check(services: ServicesDep) -> CheckOut:
    async with services.db.read() as conn:
        report = await check_ledger(conn)
    return CheckOut(
        ok=report.ok, accounts=report.accounts, transfers=report.transfers, problems=report.problems
    )


operator_router = Router(
    path="/operator/ledger",
    route_handlers=[
        operator_create_accounts,
        operator_transfers,
        operator_post,
        operator_void,
        operator_accounts,
        operator_account,
        operator_check,
    ],
    guards=[operator_guard],
    tags=["ledger (operator)"],
    security=[{"operatorToken": []}],
)


# -- participants (signed) -----------------------------------------------------------


async def _readable(services: Services, sender: str, account: Account) -> None:
    if account.owner == sender:
        return
    async with services.db.read() as conn:
        caller = await require_participant(conn, sender)
    if not caller.has_role(Role.AUDITOR):
        raise ForbiddenError(
            f"account {account.id} belongs to another participant", code="not_your_account"
        )


@get("/accounts", summary="Your ledger accounts and balances")
async def my_accounts(services: ServicesDep, sender: SenderDep) -> list[AccountOut]:
    async with services.db.read() as conn:
        return [account_out(a) for a in await list_accounts(conn, sender)]


@get(
    "/accounts/{account_path:path}",
    summary="One of your accounts, or with /transfers its history (auditors: any)",
)
async def my_account(
    services: ServicesDep,
    sender: SenderDep,
    account_path: FromPath[str],
    after: FromQuery[Int64] = 0,
    limit: FromQuery[int] = 100,
) -> AccountOut | HistoryOut:
    account, history_of = await _by_path(services, account_path)
    await _readable(services, sender, account)
    if history_of:
        return await _history(services, account.id, after, limit)
    return account_out(account)


def _switch_only(services: Services, signed: SignedRequest) -> None:
    if not is_switch(services, signed):
        raise ForbiddenError(
            "ledger writes are for the switch's own services (signed with the switch's key); "
            "the operator uses /operator/ledger",
            code="switch_services_only",
        )


@post(
    "/accounts",
    status_code=200,
    dto=StrictBody[SignedAccountsIn],
    return_dto=None,
    summary="Create accounts (the switch's services only)",
    opt={RESULT: ResultsOut},
)
async def service_create_accounts(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedAccountsIn]
) -> Response[bytes]:
    """Exactly once per message id, like every signed write (and idempotent by account id)."""
    _switch_only(services, signed)
    new = _new_accounts(data.message)

    async def write(conn: AsyncConnection) -> ResultsOut:
        return await _create_in(conn, services, new)

    return await run_once(services, signed, write, _results)


@post(
    "/transfers",
    status_code=200,
    dto=StrictBody[SignedTransfersIn],
    return_dto=None,
    summary="Submit transfers (the switch's services only)",
    opt={RESULT: ResultsOut},
)
async def service_transfers(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedTransfersIn]
) -> Response[bytes]:
    """Exactly once per message id: the ledger's own commit runs first, then the answer.

    The ledger commits transfers in its own group commit (not in the answer's
    transaction), so the message id is claimed first (`run_decided`). A send
    whose answer was lost in a crash between the two submits again; the
    transfers are idempotent by their ids, so nothing moves twice.
    """
    _switch_only(services, signed)
    requests = [to_request(t) for t in data.message.transfers]

    async def prepare() -> Write[ResultsOut]:
        results = await submit(services, requests)

        async def write(_: AsyncConnection) -> ResultsOut:
            return results

        return write

    return await run_decided(services, signed, prepare, _results)


participant_router = Router(
    path="/v1/ledger",
    route_handlers=[
        my_accounts,
        my_account,
        service_create_accounts,
        service_transfers,
    ],
    middleware=[SignedRequestMiddleware()],
    tags=["ledger"],
    security=[{"beckn": []}],
)
