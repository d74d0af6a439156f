"""`hutong ... --as PARTICIPANT`: the operator's direct writes are done once per message id.

A direct write goes through the service its route calls and the same
exactly-once record, keyed by the participant, the message id (`--message-id`,
else a new one said on stderr) and the path and message the command sends: the
same command again shows the first answer and changes nothing; another message
under the id is refused ``message_id_conflict`` and changes nothing either.
The shop (`tests.harness.shop`) is the world: Douyin orders JD Beauty's serum
for its buyer and pays with Alipay.
"""

from __future__ import annotations

import re

from sqlalchemy import Table, func, select

from hutong.store.tables import messages, orders, payments
from tests.harness.cast import ALIPAY, DOUYIN, JD, JD_BEAUTY, JDL
from tests.harness.cli import answered, commands, on_shop, options, refused_with
from tests.harness.shop import BEIJING, HANGZHOU, SERUM, STATION, Shop
from tests.harness.switch import Clock, row_counts


def order_args(shop: Shop, buyer: str = "b-9") -> tuple[str, ...]:
    """Douyin orders one serum from JD Beauty's storefront, for `buyer`."""
    return (
        "order", "create", "--as", DOUYIN, "--merchant", JD_BEAUTY,
        "--line", f"{SERUM}:1:19900", "--buyer", buyer, "--wallet", ALIPAY,
        "--payer", "u-alice", "--carrier", JDL, "--pickup-point", str(STATION["id"]),
        "--storefront", shop.storefront,
    )  # fmt: skip


async def count(shop: Shop, table: Table) -> int:
    async with shop.switch.services.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


def asked(shop: Shop, who: str) -> list[str]:
    """The decision calls the switch made to wallet `who`, by action."""
    return [action for action, _ in shop.wallet(who).calls]


# -- orders --------------------------------------------------------------------------------------


async def test_the_same_order_twice_takes_one_order(shop: Shop) -> None:
    first = await on_shop(shop, *order_args(shop), "--message-id", "order-1")
    again = await on_shop(shop, *order_args(shop), "--message-id", "order-1")

    assert answered(first)["order"]["state"] == "reserved"
    assert again.stdout == first.stdout
    assert await count(shop, orders) == 1
    assert shop.stock(JD, JD_BEAUTY, SERUM) == 9  # reserved once


async def test_another_order_under_the_same_message_id_is_refused_and_changes_nothing(
    shop: Shop,
) -> None:
    answered(await on_shop(shop, *order_args(shop), "--message-id", "order-1"))
    before = await row_counts(shop.switch.services)

    other = await on_shop(shop, *order_args(shop, buyer="b-10"), "--message-id", "order-1")

    refused_with(other, "message_id_conflict")
    assert await row_counts(shop.switch.services) == before
    assert shop.stock(JD, JD_BEAUTY, SERUM) == 9


async def test_without_a_message_id_the_new_one_is_said_and_repeats_the_order(shop: Shop) -> None:
    first = await on_shop(shop, *order_args(shop))
    said = re.search(r"message id: (\S+)", first.stderr)
    assert said is not None, first.stderr

    again = await on_shop(shop, *order_args(shop), "--message-id", said.group(1))

    assert again.stdout == first.stdout and "message id:" not in again.stderr
    assert await count(shop, orders) == 1


async def test_paying_twice_with_one_message_id_asks_the_wallet_once(shop: Shop) -> None:
    order = answered(await on_shop(shop, *order_args(shop), "--message-id", "order-1"))["order"]
    pay = ("order", "pay", order["id"], "--as", DOUYIN, "--message-id", "pay-1")

    before = shop.wallet(ALIPAY).balance("u-alice")
    first = await on_shop(shop, *pay)
    paid_once = asked(shop, ALIPAY)
    again = await on_shop(shop, *pay)

    assert answered(first)["order"]["state"] == "paid" and paid_once
    assert again.stdout == first.stdout
    assert asked(shop, ALIPAY) == paid_once  # not asked again
    assert shop.wallet(ALIPAY).balance("u-alice") == before - 19_900


async def test_the_same_message_id_paying_another_order_is_refused(shop: Shop) -> None:
    one = answered(await on_shop(shop, *order_args(shop), "--message-id", "order-1"))["order"]
    two = answered(await on_shop(shop, *order_args(shop), "--message-id", "order-2"))["order"]
    answered(await on_shop(shop, "order", "pay", one["id"], "--as", DOUYIN, "--message-id", "p"))
    before = await row_counts(shop.switch.services)

    other = await on_shop(shop, "order", "pay", two["id"], "--as", DOUYIN, "--message-id", "p")

    refused_with(other, "message_id_conflict")
    assert await row_counts(shop.switch.services) == before
    assert (await shop.show(two["id"]))["state"] == "reserved"


# -- payments ------------------------------------------------------------------------------------


def payment_args(amount: int) -> tuple[str, ...]:
    return ("pay", "create", "--as", DOUYIN, "--merchant", JD_BEAUTY, "--amount", str(amount))


async def test_the_same_payment_twice_creates_one_payment(shop: Shop) -> None:
    first = await on_shop(shop, *payment_args(500), "--message-id", "payment-1")
    again = await on_shop(shop, *payment_args(500), "--message-id", "payment-1")

    assert answered(first)["payment"]["amount"] == 500
    assert again.stdout == first.stdout
    assert await count(shop, payments) == 1


async def test_another_payment_under_the_same_message_id_is_refused(shop: Shop) -> None:
    answered(await on_shop(shop, *payment_args(500), "--message-id", "payment-1"))
    before = await row_counts(shop.switch.services)

    other = await on_shop(shop, *payment_args(900), "--message-id", "payment-1")

    refused_with(other, "message_id_conflict")
    assert await row_counts(shop.switch.services) == before


# -- every direct write --------------------------------------------------------------------------

#: The commands that take `--as` (or `--operator`) and only read: no message, no message id.
DIRECT_READS = {("points", "balance")}


async def test_every_direct_write_is_recorded_under_its_message_id_and_answered_again(
    shop: Shop, clock: Clock
) -> None:
    """Each command with `--as` that writes goes through the exactly-once record.

    A command added with `--as` fails here until it is listed below, and then
    only passes if its write is recorded under the participant and the message
    id (a refusal is an answer too) and the same command again replays it,
    changing no row.
    """
    shipped = await shop.shipped(clock.now)
    ship = ("--origin", HANGZHOU, "--weight-g", "500")
    to_beijing = ("--destination", BEIJING)
    writes: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {
        ("order", "create"): (DOUYIN, order_args(shop)[2:]),
        ("order", "pay"): (DOUYIN, ("ord-none", "--as", DOUYIN)),
        ("order", "ship"): (JD_BEAUTY, ("ord-none", "--as", JD_BEAUTY, *ship)),
        ("order", "confirm"): (DOUYIN, ("ord-none", "--as", DOUYIN)),
        ("order", "cancel"): (DOUYIN, ("ord-none", "--as", DOUYIN)),
        ("order", "refund-request"): (
            DOUYIN,
            ("ord-none", "--as", DOUYIN, "--amount", f"{SERUM}=100"),
        ),
        ("order", "refund-close"): (JD_BEAUTY, ("ord-none", "--as", JD_BEAUTY)),
        ("order", "refund"): (JD_BEAUTY, ("ord-none", "--as", JD_BEAUTY)),
        ("pay", "create"): (DOUYIN, payment_args(100)[2:]),
        ("pay", "authorize"): (DOUYIN, ("pay-none", "--as", DOUYIN)),
        ("pay", "capture"): (DOUYIN, ("pay-none", "--as", DOUYIN)),
        ("pay", "void"): (DOUYIN, ("pay-none", "--as", DOUYIN)),
        ("pay", "refund"): (DOUYIN, ("pay-none", "--as", DOUYIN, "--amount", "100")),
        ("points", "grant"): (DOUYIN, ("--as", DOUYIN, "--member", "m-1", "--points", "10")),
        ("points", "exchange"): (
            DOUYIN,
            ("--as", DOUYIN, "--offer", "o-1", "--member", "m-1", "--beneficiary", "b-1"),
        ),
        ("ship", "book"): (
            JD_BEAUTY,
            ("--as", JD_BEAUTY, "--carrier", JDL, "--service", "standard", *ship, *to_beijing),
        ),
        ("ship", "cancel"): (JD_BEAUTY, (shipped["shipment_id"], "--operator")),
        ("transfer", "send"): (
            ALIPAY,
            ("--as", ALIPAY, "--payer", "u-alice", "--to", "13912345678", "--amount", "1"),
        ),
    }
    direct = {path: options(c) for path, c in commands() if options(c) & {"--as", "--operator"}}
    assert {path for path, given in direct.items() if "--message-id" not in given} == DIRECT_READS
    assert set(writes) == set(direct) - DIRECT_READS, "list the new direct write here"

    for n, (path, (sender, args)) in enumerate(sorted(writes.items())):
        message_id = f"walk-{n}"
        first = await on_shop(shop, *path, *args, "--message-id", message_id)
        async with shop.switch.services.db.read() as conn:
            status = await conn.scalar(
                select(messages.c.status_code).where(
                    messages.c.sender == sender, messages.c.message_id == message_id
                )
            )
        assert status, f"{' '.join(path)} recorded no answer: {first.output}"
        before = await row_counts(shop.switch.services)
        again = await on_shop(shop, *path, *args, "--message-id", message_id)
        assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout), path
        assert await row_counts(shop.switch.services) == before, path  # changed nothing
