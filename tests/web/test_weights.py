"""The openness index's weights, kept folded: exact at every read, counted once.

Links are placed and opened through the public API (SQLite and PostgreSQL);
the weights read after a fold must be the weights a full count gives, and a
fold must leave the youngest resolutions to the next one.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from hutong.store.tables import link_resolutions
from hutong.web.dashboard.weights import FOLD_LAG, fold, read_weights
from tests.harness.links import TB_TEA, Net, placed, resolve

PAIR = ("douyin", "taobao")


async def open_links(net: Net, times: int) -> None:
    placement = await placed(net, "douyin", "product_page", TB_TEA, "tea-1")
    for _ in range(times):
        answer = await resolve(net, placement["code"], host="douyin", surface="product_page")
        assert answer.status_code < 500, answer.text
    await net.switch.services.resolver().log.flush()  # visits are written in batches


async def weights(net: Net) -> tuple[dict[tuple[str, str], int], int, int]:
    async with net.switch.services.db.read() as conn:
        read = await read_weights(conn)
    return read.counts, read.through, read.tail


async def newest_id(net: Net) -> int:
    async with net.switch.services.db.read() as conn:
        return int(await conn.scalar(select(func.max(link_resolutions.c.id))) or 0)


async def test_weights_count_each_hosts_resolutions_by_the_merchants_home_platform(
    links_net: Net,
) -> None:
    await open_links(links_net, 3)

    counts, through, tail = await weights(links_net)

    assert counts == {PAIR: 3} and through == 0 and tail == 3


async def test_a_fold_keeps_the_weights_and_the_next_read_counts_only_the_rows_after_it(
    links_net: Net,
) -> None:
    db, clock = links_net.switch.services.db, links_net.clock
    await open_links(links_net, 3)
    assert await fold(db, clock()) == 0  # nothing is a minute old yet

    clock.advance(FOLD_LAG.total_seconds() + 1)
    through = await fold(db, clock())
    await open_links(links_net, 2)

    assert through == await newest_id(links_net) - 2
    assert await weights(links_net) == ({PAIR: 5}, through, 2)
    clock.advance(FOLD_LAG.total_seconds() + 1)
    assert await fold(db, clock()) == await newest_id(links_net)
    assert (await weights(links_net))[0] == {PAIR: 5}
    assert (await weights(links_net))[2] == 0


async def test_two_folds_at_once_count_each_resolution_once(links_net: Net) -> None:
    db, clock = links_net.switch.services.db, links_net.clock
    await open_links(links_net, 3)
    clock.advance(FOLD_LAG.total_seconds() + 1)

    folded = await asyncio.gather(fold(db, clock()), fold(db, clock()))

    newest = await newest_id(links_net)
    assert folded == [newest, newest]
    assert await weights(links_net) == ({PAIR: 3}, newest, 0)
