"""A carrier's and a pickup network's declarations, with their own key.

`hutong carrier services` declares a carrier's services (`--file`: the
declarations as `ServiceDeclaration.to_dict` writes them; without it, the
services its plugin knows); `hutong carrier track EVENT` pushes one tracking
event in the carrier's own vocabulary (a JSON file, `-` for standard input).
`hutong pickup publish --file` publishes a network's pickup points and
`hutong pickup policy` says which carriers may deliver to them; `hutong ship
policy` is a host's rule of which carriers its orders may use. A rule is
`--valid-from` a day, with `--allow` (only these; default every carrier),
`--refuse` and a `--reason`. Each is a signed write, done once per
`--message-id`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hutong.cli import remote
from hutong.cli._common import (
    USAGE,
    AsJson,
    Correction,
    answer,
    console,
    json_file,
    refuse,
    with_correction,
)

SWITCH = remote.DEFAULT_SWITCH_URL

app = typer.Typer(
    help="A carrier's declarations: its services, tracking events (with its key).",
    no_args_is_help=True,
)

ValidFrom = Annotated[str, typer.Option(help="The first day (UTC, YYYY-MM-DD) it holds.")]
Allow = Annotated[
    list[str] | None, typer.Option(help="Only these carriers (repeatable; default: every).")
]
Refused = Annotated[
    list[str] | None, typer.Option("--refuse", help="A carrier refused (repeatable).")
]
Reason = Annotated[str, typer.Option(help="Why, shown to whoever is refused.")]


def _services(body: dict[str, Any]) -> None:
    table = Table("service", "provinces", "up to (g)", "bands")
    for declared in body["message"]["services"]:
        provinces = declared["provinces"]
        table.add_row(
            declared["name"],
            "all" if provinces is None else ", ".join(provinces),
            str(declared["price_table"][-1]["max_weight_g"]) if declared["price_table"] else "-",
            str(len(declared["price_table"])),
        )
    console.print(table)


@app.command()
def services(
    file: Annotated[
        Path | None,
        typer.Option(help='JSON: a list of service declarations, or {"services": [...]}.'),
    ] = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Declare your services (as the carrier); without --file, the ones your plugin knows."""
    remote.require_key(key_file)  # before reading a file or standard input
    declared: list[Any] = []
    if file is not None:
        document = json_file(file, "invalid_services_file")
        found = document.get("services") if isinstance(document, dict) else document
        if not isinstance(found, list) or not found:
            refuse("invalid_services_file", f"{file} holds no list of services", exit_code=USAGE)
        declared = found
    message = {"services": declared}
    body = remote.send(key_file, switch_url, "/v1/carrier/services", message, message_id)
    answer(body, as_json, _services)


@app.command()
def track(
    event: Annotated[Path, typer.Argument(help="The event as JSON, your own format ('-': stdin).")],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Push one tracking event (as the carrier): stored once, mapped, the order follows."""
    remote.require_key(key_file)  # before reading a file or standard input
    payload = json_file(event, "invalid_event_file")
    if not isinstance(payload, dict):
        refuse("invalid_event_file", f"{event} is not a JSON object", exit_code=USAGE)
    body = remote.send(key_file, switch_url, "/v1/tracking", payload, message_id)

    def human(said: dict[str, Any]) -> None:
        mapped = said["event"]
        raw = mapped["raw_code"] + (f"/{mapped['raw_sub_code']}" if mapped["raw_sub_code"] else "")
        outcome = "duplicate" if said["duplicate"] else "applied" if said["applied"] else "kept"
        console.print(
            f"{said['shipment_id']}: {raw} → {mapped['status']} ({outcome}); "
            f"the shipment is {said['status']}",
            highlight=False,
        )

    answer(body, as_json, human)


def publish_points(
    file: Annotated[
        Path, typer.Option(help="JSON: a list of points, or {\"points\": [...]} ('-': stdin).")
    ],
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Publish your network's pickup points (as a carrier or platform); they replace the old."""
    remote.require_key(key_file)  # before reading a file or standard input
    document = json_file(file, "invalid_points_file")
    points = document.get("points") if isinstance(document, dict) else document
    if not isinstance(points, list):
        refuse("invalid_points_file", f"{file} holds no list of points", exit_code=USAGE)
    body = remote.send(key_file, switch_url, "/v1/pickup-points", {"points": points}, message_id)
    answer(
        body,
        as_json,
        lambda said: console.print(f"published {said['message']['published']} pickup point(s)"),
    )


def _rule(
    path: str,
    valid_from: str,
    allow: list[str] | None,
    refused: list[str] | None,
    reason: str,
    correction: str | None,
    sent: tuple[Path | None, str, str | None, bool],
) -> None:
    key_file, switch_url, message_id, as_json = sent
    message = {"valid_from": valid_from, "allowed": allow, "refused": refused or []}
    message["reason"] = reason
    body = remote.send(key_file, switch_url, path, with_correction(message, correction), message_id)

    def human(said: dict[str, Any]) -> None:
        rule = said["message"]["rule"]
        allowed = "every carrier" if rule["allowed"] is None else ", ".join(rule["allowed"])
        refusals = ", ".join(rule["refused"]) or "none"
        why = f" ({rule['reason']})" if rule["reason"] else ""
        console.print(
            f"{rule['network']} version {rule['version']} from {rule['valid_from']}: "
            f"allows {allowed}; refuses {refusals}{why}",
            soft_wrap=True,
            highlight=False,
        )

    answer(body, as_json, human)


def pickup_policy(
    valid_from: ValidFrom,
    allow: Allow = None,
    refused: Refused = None,
    reason: Reason = "",
    correction: Correction = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Declare which carriers may deliver to your pickup points: a new version from a day."""
    sent = (key_file, switch_url, message_id, as_json)
    _rule("/v1/pickup-policies", valid_from, allow, refused, reason, correction, sent)


def carrier_policy(
    valid_from: ValidFrom,
    allow: Allow = None,
    refused: Refused = None,
    reason: Reason = "",
    correction: Correction = None,
    key_file: remote.KeyFile = None,
    switch_url: remote.SwitchUrl = SWITCH,
    message_id: remote.MessageId = None,
    as_json: AsJson = False,
) -> None:
    """Declare which carriers your orders may use (as the host): a new version from a day."""
    sent = (key_file, switch_url, message_id, as_json)
    _rule("/v1/carrier-policies", valid_from, allow, refused, reason, correction, sent)
