"""The operator's direct writes, exactly once per message id, as the API runs them.

`--as SENDER --message-id X` writes as the participant SENDER would over
HTTP with message id X, through the same domain service and the same
exactly-once record (`hutong.runtime.exactly_once`): keyed by the sender,
the message id and a digest of the path and the message the command sends
(canonical JSON), so the same command again gets the first answer and changes
nothing, and another message under that id is ``message_id_conflict``.
Without ``--message-id`` the write goes under a new id, printed on stderr
(``message id: X``) so the operator can repeat it. The answer is what the
API would answer (refusals shown by `hutong.api.idempotency.refusal_reply`);
a refusal exits 1 with its code.

Every `--as` write is one `Sent` (made by `hutong.cli.remote.act` from the
request the command would sign) run by `decided` (a step that may ask a
participant first: `run_decided`, as every such route) or `recorded` (a
database write: `run_once`).

The operator's own writes (`hutong participant add`, `group set`, `settle
close`, ...) are done once per `--message-id` the same way, by `as_operator`:
keyed in the operator's key space (`hutong.runtime.operator_messages`) by
the message id and the request the operator's route takes (its method, path
and JSON body), so the command repeated replays its first answer, and an
HTTP write under the same `Idempotency-Key` with the same body is the same
write. A write no route takes (a seed) is keyed by the command's name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from hutong.api.idempotency import refusal_reply
from hutong.cli._common import Refusal, errors, with_services
from hutong.protocol.signing import body_digest
from hutong.runtime.exactly_once import Answer, MessageKey, Present, Write, run_decided, run_once
from hutong.runtime.operator_messages import operator_key
from hutong.runtime.services import Services

__all__ = [
    "Direct",
    "Sent",
    "Step",
    "as_operator",
    "counted",
    "decided",
    "key",
    "message_id",
    "recorded",
    "sent_as",
    "shown",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Sent:
    """One message the operator sends as a participant (`--as`): who, under which id, keyed."""

    sender: str
    message_id: str
    key: MessageKey

    def by(self, sender: str) -> Sent:
        """The same message sent by `sender` (a step the operator takes for its owner)."""
        return replace(self, sender=sender, key=replace(self.key, sender=sender))


#: A command's `--as` write: runs the message and returns the answer's body.
Direct = Callable[[Sent], dict[str, Any]]
#: A domain step of a message: what the route calls with the sender and the message id.
Step = Callable[[Services, Sent], Awaitable[Write[T]]]


def message_id(given: str | None) -> str:
    """The message id a direct write goes as: the one given, else a new one (said on stderr)."""
    if given:
        return given
    fresh = str(uuid.uuid4())
    errors.print(f"message id: {fresh} (repeat with --message-id {fresh})", soft_wrap=True)
    return fresh


def key(sender: str, sent: str, path: str, message: dict[str, Any]) -> MessageKey:
    """The exactly-once key of `message`, sent by `sender` to POST `path` as `sent`.

    Its digest is of the canonical JSON of the path and the message, so the
    same id sent to another path (another order's pay) is another message:
    refused ``message_id_conflict``, never answered with the first's answer.
    """
    sends = {"path": path, "message": message}
    canonical = json.dumps(sends, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return MessageKey(
        sender=sender,
        message_id=sent,
        digest=body_digest(canonical.encode("utf-8")),
        method="POST",
        path=path,
    )


def sent_as(sender: str, sent: str, path: str, message: dict[str, Any]) -> Sent:
    """`message` POSTed to `path` by `sender` under the message id `sent`."""
    return Sent(sender, sent, key(sender, sent, path, message))


def shown(answer: Answer) -> dict[str, Any]:
    """The answer's body; a refusal (status 400 or more) is raised as the client would see it."""
    body = json.loads(answer.body)
    if answer.status >= 400:
        raise Refusal.of_body(answer.status, body)
    if not isinstance(body, dict):
        raise Refusal(f"http_{answer.status}", "the answer is not a JSON object")
    return body


def decided(step: Step[T], present: Present[T]) -> Direct:
    """A step that may ask a participant first: the message id claimed, then `step` asked.

    As the step's route runs it (`run_decided`): a twin of the message never asks.
    """

    def run(sent: Sent) -> dict[str, Any]:
        async def work(services: Services) -> dict[str, Any]:
            await services.load_switch_key()
            answer = await run_decided(
                services, sent.key, lambda: step(services, sent), present, refusal_reply
            )
            return shown(answer)

        return with_services(work)

    return run


def recorded(
    step: Step[T],
    present: Present[T],
    around: Callable[[Services, Callable[[], Awaitable[Answer]]], Awaitable[Answer]] | None = None,
) -> Direct:
    """A write that asks nobody: recorded with its effects (`run_once`), as its route runs it.

    `around` wraps the run as the route wraps it (`opening_split_accounts`).
    """

    def run(sent: Sent) -> dict[str, Any]:
        async def work(services: Services) -> dict[str, Any]:
            await services.load_switch_key()
            write = await step(services, sent)

            async def once() -> Answer:
                return await run_once(services, sent.key, write, present, refusal_reply)

            answer = await (once() if around is None else around(services, once))
            return shown(answer)

        return with_services(work)

    return run


def counted(declared: int) -> tuple[int, dict[str, Any]]:
    """How many things a seed declared, as its recorded answer."""
    return 200, {"declared": declared}


def as_operator(
    given: str | None,
    request: tuple[str, str, dict[str, Any]],
    write: Callable[[Services], Write[T]],
    present: Present[T],
    *,
    before: Callable[[Services], Awaitable[None]] | None = None,
    create: bool = False,
) -> dict[str, Any]:
    """The operator's `request` (method, path, message) written once per message id.

    `given` is `--message-id` (else a new one, said on stderr); `write` makes
    the route's write for the running services, `present` shows its result
    as the route answers it; `before` runs first, as the route runs it
    before its write. Returns the answer's body (the first one, on a
    repeat); a refusal exits 1. `create`: the command may create the database.
    """
    method, path, message = request
    operator = operator_key(message_id(given), method, path, message)

    async def work(services: Services) -> dict[str, Any]:
        if before is not None:
            await before(services)
        answer = await run_once(
            services, operator, write(services), present, refusal_reply, alone=True
        )
        return shown(answer)

    return with_services(work, create=create)
