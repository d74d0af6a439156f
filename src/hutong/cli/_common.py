"""What the sub-commands share: settings, the database, the one runner, tables.

Every command runs its work through `with_services` (against the database,
the operator's way) or `hutong.cli.remote` (signed over HTTP, a participant's
way); both end the same way: success exits 0, a refusal (a `HutongError` from
the domain, an answer the API would send with a 4xx/5xx, a NACK from the
switch) prints `<code>: <sentence>` on stderr and exits 1, bad input exits 2.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url

from hutong.config import Settings, load_settings
from hutong.net import call_journal
from hutong.net.transport import close_call_transport
from hutong.protocol.errors import HutongError
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.migrate import upgrade

T = TypeVar("T")

console = Console()
errors = Console(stderr=True)

#: Exit codes: a refusal (the switch or the domain said no), bad input.
REFUSED = 1
USAGE = 2


class Refusal(Exception):
    """A refusal as the API would answer it: a code, a sentence, and what else it said."""

    def __init__(self, code: str, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.body = body or {}

    @classmethod
    def of_body(cls, status: int, body: Any) -> Refusal:
        """The refusal in an answer's body (`{"error": {code, message}}`), or one by status."""
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code"):
            return cls(str(error["code"]), str(error.get("message", "")), body)
        return cls(f"http_{status}", f"the switch answered {status}", {})


def refuse(code: str, message: str, *, exit_code: int = REFUSED) -> NoReturn:
    """Say why on stderr (`<code>: <sentence>`) and exit (1: refused, 2: bad input)."""
    errors.print(f"[red]{escape(code)}:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(exit_code)


def refused(refusal: Refusal) -> NoReturn:
    """Exit 1 with the refusal; what the answer said besides (the order as it stands) on stdout."""
    body = refusal.body if isinstance(refusal.body, dict) else {}
    shown = {key: value for key, value in body.items() if key not in ("message", "error")}
    message = body.get("message")
    if isinstance(message, dict):
        shown |= {key: value for key, value in message.items() if key != "ack"}
    if shown:
        show_json(shown)
    errors.print(f"[red]{escape(refusal.code)}:[/] {escape(refusal.message)}", soft_wrap=True)
    order = shown.get("order")
    if isinstance(order, dict) and "id" in order and "state" in order:
        errors.print(f"order {escape(str(order['id']))} is {escape(str(order['state']))}")
    raise typer.Exit(REFUSED)


def show_json(body: Any) -> None:
    """A command's answer, as JSON (Chinese text as it is)."""
    console.print_json(json.dumps(body, ensure_ascii=False))


AsJson = Annotated[
    bool, typer.Option("--json", help="Print the switch's whole answer as JSON (for machines).")
]
#: A version dated before today must say it corrects history (else `valid_from_in_past`).
Correction = Annotated[
    str | None,
    typer.Option(
        "--correction",
        help="Declare a back-dated version as a correction of history: why. Kept with it and "
        "shown in every listing; answers already given stay as they were.",
    ),
]


def with_correction(message: dict[str, Any], reason: str | None) -> dict[str, Any]:
    """`message`, saying it is a back-dated correction when `reason` is given."""
    return message if reason is None else message | {"correction": {"reason": reason}}


def answer(body: T, as_json: bool, human: Callable[[T], None]) -> None:
    """Show an answer: the whole body as JSON (`--json`), else `human`'s table or line."""
    if as_json:
        show_json(body)
    else:
        human(body)


def json_file(path: Path, code: str) -> Any:
    """The JSON document in `path` (`-`: standard input); unreadable or not JSON exits 2."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as exc:
        refuse(code, f"cannot read {path}: {exc.strerror or exc}", exit_code=USAGE)
    except (UnicodeDecodeError, json.JSONDecodeError):
        refuse(code, f"{path} is not JSON", exit_code=USAGE)


def settings() -> Settings:
    try:
        return load_settings()
    except ValueError as exc:
        refuse("configuration_error", str(exc), exit_code=USAGE)


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def require_database(config: Settings) -> None:
    """Refuse (exit 1, creating nothing) when the SQLite database does not exist yet."""
    path = sqlite_file(config.database_url)
    if path is not None and not path.is_file():
        refuse(
            "no_database",
            f"no Hutong database at {path}; run the command in the switch's data directory, "
            "set HUTONG_DATA_DIR or HUTONG_DATABASE_URL, or create one with `hutong migrate`",
        )


def with_services(
    work: Callable[[Services], Awaitable[T]], *, migrate: bool = True, create: bool = False
) -> T:
    """Run `work` against the configured database: the operator's way.

    Only commands that set a switch up (`create=True`) may create the database;
    the others refuse when it does not exist. A refusal exits 1 with its code.
    """
    config = settings()
    if not create:
        require_database(config)
    if migrate:
        upgrade(config.database_url)

    async def run() -> T:
        services = Services(settings=config, db=Database.of(config))
        try:
            return await work(services)
        finally:
            await call_journal.settled(services)  # the journal rows of the calls it made
            await close_call_transport()  # the calls a command made to participants
            await services.db.dispose()

    try:
        return asyncio.run(run())
    except HutongError as exc:
        refuse(exc.code, exc.message)
    except Refusal as exc:
        refused(exc)
