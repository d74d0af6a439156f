"""`hutong live ...` and `hutong discover`: livestream sessions and discovery, with a key.

A host platform schedules a session for a broadcaster, starts and ends it,
places offers in its cart and reports viewer counts; the host, the
broadcaster and auditors read a session and its report. `hutong discover`
searches the offers a host may show (`GET /v1/discovery/offers`, signed over
its query string), optionally reporting the page as impressions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from hutong.cli import remote
from hutong.cli._common import AsJson, answer, console

app = typer.Typer(
    help="Livestream sessions: schedule, start, cart, viewers, end, show, report.",
    no_args_is_help=True,
)

SWITCH = remote.DEFAULT_SWITCH_URL


def _session(body: dict[str, Any]) -> None:
    s = body["session"]
    console.print(
        f"{s['id']}: {s['broadcaster']} ({s['broadcaster_kind']}) on {s['host']}, {s['state']}; "
        f"peak {s['peak_viewers']} viewers, {s['views']} views",
        soft_wrap=True,
        highlight=False,
    )


def _step(
    key_file: Any,
    switch_url: str,
    session_id: str,
    action: str,
    message: dict[str, Any],
    message_id: str | None,
) -> Any:
    path = remote.path_of("/v1/livestreams/{}/" + action, session_id)
    return remote.send(key_file, switch_url, path, message, message_id)


@app.command()
def schedule(
    broadcaster: Annotated[
        str, typer.Option(help="Who is on air: a creator, merchant or platform.")
    ],
    title: Annotated[str, typer.Option(help="The session's title.")],
    starts_at: Annotated[datetime, typer.Option(help="Planned start, UTC.")],
    ends_at: Annotated[datetime, typer.Option(help="Planned end, UTC.")],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Schedule a session in your live rooms (as the host platform)."""
    message = {
        "broadcaster": broadcaster,
        "title": title,
        "starts_at": _utc(starts_at),
        "ends_at": _utc(ends_at),
    }
    body = remote.send(key_file, switch_url, "/v1/livestreams", message, message_id)
    answer(body, as_json, _session)


def _utc(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


@app.command()
def start(
    session_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Go live."""
    answer(_step(key_file, switch_url, session_id, "start", {}, message_id), as_json, _session)


@app.command()
def end(
    session_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """End the session (or call it off before it starts)."""
    answer(_step(key_file, switch_url, session_id, "end", {}, message_id), as_json, _session)


@app.command()
def cart(
    session_id: str,
    merchant: Annotated[str, typer.Option(help="The merchant whose offer joins the cart.")],
    sku_id: Annotated[str, typer.Option(help="The offer's SKU id.")],
    storefront: Annotated[str, typer.Option(help="Its storefront inside the host.")] = "",
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Place an offer in the session's cart: its live-cart placement."""
    message: dict[str, Any] = {"merchant": merchant, "sku_id": sku_id}
    if storefront:
        message["storefront_id"] = storefront
    body = _step(key_file, switch_url, session_id, "cart", message, message_id)

    def shown(said: dict[str, Any]) -> None:
        p = said["placement"]
        console.print(
            f"{p['id']}: {p['merchant']} {p['sku_id']} in the cart\n{p['url']}",
            soft_wrap=True,
            highlight=False,
        )

    answer(body, as_json, shown)


@app.command()
def viewers(
    session_id: str,
    now: Annotated[int, typer.Option("--viewers", help="Watching now.", min=0)],
    views: Annotated[int, typer.Option(help="Cumulative views since the start.", min=0)],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Report viewer counts (while live)."""
    message = {"viewers": now, "views": views}
    answer(
        _step(key_file, switch_url, session_id, "viewers", message, message_id), as_json, _session
    )


@app.command()
def show(
    session_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """A session and its cart."""
    path = remote.path_of("/v1/livestreams/{}", session_id)
    answer(remote.read(key_file, switch_url, path), as_json, _session)


@app.command()
def report(
    session_id: str,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Viewers, orders, GMV, refunds and commission by the merchant's home platform."""
    path = remote.path_of("/v1/livestreams/{}/report", session_id)

    def shown(body: dict[str, Any]) -> None:
        _session(body)
        for platform, line in [("total", body["total"]), *body["by_home_platform"].items()]:
            console.print(
                f"  {platform}: {line['orders']} orders, GMV {line['gmv']} fen, "
                f"refunds {line['refunds']}, net {line['net']}, "
                f"commission {line['broadcaster_commission']}",
                highlight=False,
            )

    answer(remote.read(key_file, switch_url, path), as_json, shown)


def discover(
    q: Annotated[str, typer.Argument(help="Text in the title, merchant or home platform.")] = "",
    category: Annotated[str, typer.Option(help="Exact category.")] = "",
    min_price: Annotated[int | None, typer.Option(help="Lowest price, fen.", min=0)] = None,
    max_price: Annotated[int | None, typer.Option(help="Highest price, fen.", min=0)] = None,
    surface: Annotated[str, typer.Option(help="The surface the results show on.")] = "search",
    limit: Annotated[int, typer.Option(help="Results per page.", min=1, max=100)] = 20,
    cursor: Annotated[str, typer.Option(help="next_cursor of the previous page.")] = "",
    report_impressions: Annotated[
        bool, typer.Option("--report-impressions", help="Report the page as shown (impressions).")
    ] = False,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    as_json: AsJson = False,
) -> None:
    """Search the offers you may show (as a host platform), by text, category and price."""
    page = remote.read(
        key_file,
        switch_url,
        "/v1/discovery/offers",
        q=q,
        category=category,
        min_price=min_price,
        max_price=max_price,
        surface=surface,
        limit=limit,
        cursor=cursor,
    )
    if report_impressions and page["results"]:
        shown_list = {
            "surface": page["surface"],
            "query": page["query"],
            "shown_at": page["searched_at"],
            "items": [
                r["impression_item"] | {"position": n}
                for n, r in enumerate(page["results"], start=1)
            ],
        }
        remote.send(key_file, switch_url, "/v1/impressions", {"lists": [shown_list]}, None)

    def shown(body: dict[str, Any]) -> None:
        for r in body["results"]:
            console.print(
                f"{r['merchant']} {r['sku_id']} ({r['home_platform']}): {r['title']}, "
                f"{r['price']} fen, via {r['via']} ({r['treatment']}, {r['basis']})",
                soft_wrap=True,
                highlight=False,
            )
        if body["next_cursor"]:
            console.print(f"next: --cursor {body['next_cursor']}", highlight=False)

    answer(page, as_json, shown)
