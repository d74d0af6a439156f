"""Acting as a participant: requests signed with its key, sent to the switch over HTTP.

A participant's commands take `--key-file` (or `HUTONG_KEY_FILE`): the JSON
`hutong participant add` prints once (`subscriber_id`, `key_id`,
`private_key`), and `--switch-url` (or `HUTONG_SWITCH_URL`). The request goes
through `hutong.client.Client`, exactly as a platform's own code would send
it, so the switch checks the signature, the sender's role and the message id.

`--as X` is the operator's other way: it writes the switch's database
directly as X (no signature), exactly once per message id like a signed
request (`act`, `hutong.cli.once`); it needs the database and is for the
operator only.
The private key is read, used to sign, and never printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import httpx
import typer

from hutong.cli import journal, once
from hutong.cli._common import USAGE, Refusal, refuse, refused, show_json
from hutong.client import DEFAULT_SWITCH_ID, Client
from hutong.protocol.ids import new_id
from hutong.protocol.signing import KeyFormatError, Signer

DEFAULT_SWITCH_URL = "http://127.0.0.1:8080"

KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        envvar="HUTONG_KEY_FILE",
        help="Act as the participant of this key file (the JSON `hutong participant add` "
        "prints: subscriber_id, key_id, private_key): signed over HTTP to --switch-url.",
    ),
]
SwitchUrl = Annotated[
    str,
    typer.Option(
        "--switch-url", envvar="HUTONG_SWITCH_URL", help="The switch a --key-file request goes to."
    ),
]
MessageId = Annotated[
    str | None,
    typer.Option(
        "--message-id",
        help="The message id to send (default: a new one). To retry a request whose answer "
        "was lost, send it again with the id it was sent with: the switch does it once and "
        "answers the retry as it answered the first.",
    ),
]
JsonAnswer = Annotated[
    bool,
    typer.Option(
        "--json", help="The answer is printed as the switch's JSON either way (for scripts)."
    ),
]
As = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Operator only: write the switch's database directly as this participant "
        "(unsigned). Participants use --key-file.",
    ),
]


@dataclass(frozen=True)
class Key:
    subscriber_id: str
    key_id: str
    private_key: str


def load_key(path: Path) -> Key:
    """The key file's identity; a file that is not one exits 2 (its contents never shown)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        refuse("invalid_key_file", f"cannot read {path}: {exc.strerror or exc}", exit_code=USAGE)
    except (UnicodeDecodeError, json.JSONDecodeError):
        refuse("invalid_key_file", f"{path} is not a JSON key file", exit_code=USAGE)
    if not isinstance(document, dict):
        refuse("invalid_key_file", f"{path} is not a JSON object", exit_code=USAGE)
    missing = [
        name
        for name in ("subscriber_id", "private_key")
        if not isinstance(document.get(name), str) or not document[name]
    ]
    if missing:
        refuse(
            "invalid_key_file",
            f"{path} has no {' or '.join(missing)} (write it from `hutong participant add`)",
            exit_code=USAGE,
        )
    key_id = str(document.get("key_id") or "k1")
    key = Key(document["subscriber_id"], key_id, document["private_key"])
    try:
        Signer(key.subscriber_id, key.key_id, key.private_key)
    except (KeyFormatError, ValueError):
        refuse("invalid_key_file", f"{path} holds no valid ed25519 private key", exit_code=USAGE)
    return key


def path_of(template: str, *parts: str, **query: Any) -> str:
    """`template` with each part percent-encoded, and the query of the values given."""
    path = template.format(*(quote(part, safe="") for part in parts))
    given = {name: value for name, value in query.items() if value not in (None, "")}
    return f"{path}?{urlencode(given)}" if given else path


def _client(key: Key, switch_url: str) -> Client:
    """The SDK client the CLI signs with: contexts valid for the journal's `KEEP`, so a
    retry with `--message-id` is not refused as expired."""
    return Client(
        switch_url,
        key.subscriber_id,
        key.key_id,
        key.private_key,
        switch_id=os.environ.get("HUTONG_SWITCH_ID") or DEFAULT_SWITCH_ID,
        ttl=journal.KEEP,
    )


async def _send(client: Client, method: str, path: str, sent: bytes) -> Any:
    async with client:
        response = await client.send(method, path, sent)
    kind = response.headers.get("content-type", "")
    if response.status_code < 400 and kind.startswith("text/"):
        return response.text  # a file the switch serves as it is (a settlement CSV)
    try:
        body = response.json()
    except ValueError:
        body = None
    said = body.get("message") if isinstance(body, dict) else None
    nack = isinstance(said, dict) and said.get("ack") == {"status": "NACK"}
    if response.status_code >= 400 or nack or not isinstance(body, dict | list):
        raise Refusal.of_body(response.status_code, body)
    return body


def call(
    key_file: Path,
    switch_url: str,
    method: str,
    path: str,
    message: dict[str, Any] | None = None,
    message_id: str | None = None,
) -> Any:
    """Sign and send one request as the key file's participant; a refusal exits 1.

    A POST goes with `message_id` (default: a new one), at the timestamp it
    was first sent with (`hutong.cli.journal`), so a retry is the same body;
    when the switch cannot be reached, the sentence names the id to retry with.
    """
    key = load_key(key_file)
    sent_id = None if method == "GET" else (message_id or str(uuid.uuid4()))
    client = _client(key, switch_url)
    body = b""
    if sent_id is not None:

        def envelope(sent: str, payload: dict[str, Any], timestamp: str) -> bytes:
            return client.envelope(path, payload, sent, timestamp=timestamp)

        where = journal.folder(key_file, key.subscriber_id)
        body = journal.body_for(where, sent_id, message or {}, envelope)
    try:
        return asyncio.run(_send(client, method, path, body))
    except Refusal as exc:
        refused(exc)
    except httpx.HTTPError as exc:
        retry = f"; retry with --message-id {sent_id}" if sent_id else ""
        refuse("switch_unreachable", f"cannot reach the switch at {switch_url}: {exc}{retry}")


def derived_id(prefix: str, given: str, message_id: str | None) -> str:
    """An id the command puts in its message: `given`, else one from `--message-id`, else new.

    A retry with the same `--message-id` must send the same message, so an id
    the command makes up (a grant's, a refund's) comes from the message id.
    """
    if given:
        return given
    return f"{prefix}_{message_id}" if message_id else new_id(prefix)


def require_key(key_file: Path | None) -> Path:
    """The key file a participant's command acts with; without one, exit 2 saying how."""
    if key_file is None:
        refuse(
            "no_participant",
            "act as a participant with --key-file (or HUTONG_KEY_FILE)",
            exit_code=USAGE,
        )
    return key_file


def send(
    key_file: Path | None,
    switch_url: str,
    path: str,
    message: dict[str, Any],
    message_id: str | None = None,
) -> Any:
    """A participant's write (POST `message` to `path`), signed with its key file."""
    return call(require_key(key_file), switch_url, "POST", path, message, message_id)


def read(key_file: Path | None, switch_url: str, path: str, **query: Any) -> Any:
    """A participant's read (GET `path` with `query`), signed with its key file."""
    return call(require_key(key_file), switch_url, "GET", path_of(path, **query))


def public_read(switch_url: str, path: str) -> dict[str, Any]:
    """A public page's facts as JSON (no key: anyone may open it); a refusal exits 1."""

    async def get() -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=switch_url, timeout=10.0) as http:
            response = await http.get(path, headers={"accept": "application/json"})
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict):
            raise Refusal.of_body(response.status_code, body)
        return body

    try:
        return asyncio.run(get())
    except Refusal as exc:
        refused(exc)
    except httpx.HTTPError as exc:
        refuse("switch_unreachable", f"cannot reach the switch at {switch_url}: {exc}")


#: The message a command sends; one that names an id it makes up (a refund's, a grant's)
#: is made from the message id it goes under (`derived_id`), so a retry sends the same.
Message = dict[str, Any] | Callable[[str | None], dict[str, Any]]


def act(
    sender: str | None,
    key_file: Path | None,
    switch_url: str,
    request: tuple[str, Message],
    direct: once.Direct,
    message_id: str | None = None,
) -> None:
    """Run a participant's write: `--as` writes directly (operator), else the key file signs.

    `request` is the (path, message) the participant POSTs, under
    `message_id` (default: a new one); `direct` runs the same message
    against the database as `sender`, exactly once by its key
    (`hutong.cli.once`). Either way the answer is shown as JSON, and a
    refusal exits 1.
    """
    path, message = request
    if sender:
        sent = once.message_id(message_id)
        body = message(sent) if callable(message) else message
        show_json(direct(once.sent_as(sender, sent, path, body)))
        return
    if key_file is None:
        refuse(
            "no_participant",
            "act as a participant with --key-file (or HUTONG_KEY_FILE); the operator may "
            "write directly with --as",
            exit_code=USAGE,
        )
    body = message(message_id) if callable(message) else message
    show_json(call(key_file, switch_url, "POST", path, body, message_id))


def read_as(
    sender: str | None,
    key_file: Path | None,
    switch_url: str,
    path: str,
    direct: Callable[[str], Any],
) -> None:
    """A participant's read: from the database as `sender` (operator), else signed over HTTP."""
    if sender:
        show_json(direct(sender))
        return
    show_json(call(require_key(key_file), switch_url, "GET", path))


def read_or_direct(
    key_file: Path | None,
    switch_url: str,
    path: str,
    direct: Callable[[], Any],
) -> Any:
    """A read: over HTTP as the key file's participant, or from the database (operator)."""
    if key_file is not None:
        return call(key_file, switch_url, "GET", path)
    return direct()
