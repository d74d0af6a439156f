"""The operator's direct writes, exactly once per message id, as the API runs them.

`--as SENDER --message-id X` writes as the participant SENDER would over
HTTP with message id X, through the same exactly-once record
(`hutong.runtime.exactly_once`): keyed by the sender, the message id and a
digest of the message the command sends (canonical JSON), so the same
command again gets the first answer and changes nothing, and another message
under that id is ``message_id_conflict``. Without ``--message-id`` each run
is a new message. The answer is what the API would answer (refusals shown by
`hutong.api.idempotency.refusal_reply`); a refusal exits 1 with its code.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hutong.cli._common import Refusal
from hutong.protocol.signing import body_digest
from hutong.runtime.exactly_once import Answer, MessageKey

__all__ = ["key", "message_id", "shown"]


def message_id(given: str | None) -> str:
    """The message id a direct write goes as: the one given, else a new one."""
    return given or str(uuid.uuid4())


def key(sender: str, sent: str, path: str, message: dict[str, Any]) -> MessageKey:
    """The exactly-once key of `message`, sent by `sender` to POST `path` as `sent`."""
    canonical = json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return MessageKey(
        sender=sender,
        message_id=sent,
        digest=body_digest(canonical.encode("utf-8")),
        method="POST",
        path=path,
    )


def shown(answer: Answer) -> dict[str, Any]:
    """The answer's body; a refusal (status 400 or more) is raised as the client would see it."""
    body = json.loads(answer.body)
    if answer.status >= 400:
        raise Refusal.of_body(answer.status, body)
    if not isinstance(body, dict):
        raise Refusal(f"http_{answer.status}", "the answer is not a JSON object")
    return body
