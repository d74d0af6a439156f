"""The operator's writes in the exactly-once record: their own key space and digest.

A participant's write is keyed by its subscriber id and the message id it
signed. The operator has no subscriber id: its writes (with the operator
token over HTTP, or by the CLI on the database) are keyed by `OPERATOR`,
which no participant can be named (a subscriber id is domain-like: letters,
digits, dots and hyphens), and the key the operator chose (the
`Idempotency-Key` header, or the CLI's `--message-id`). So an operator's key
never answers a participant's message, nor the reverse.

The digest is of the request as JSON (method, path and message, canonical:
keys sorted, no spaces), not of its bytes: the same write sent again with
its fields in another order, or by the CLI with the message the route
takes, is the same request. Another request under the same key is
``message_id_conflict``, as for a participant.
"""

from __future__ import annotations

import json
from typing import Any

from hutong.protocol.signing import body_digest
from hutong.runtime.message_records import MessageKey

__all__ = ["MAX_KEY_LENGTH", "OPERATOR", "operator_key"]

#: The sender of every operator write in `messages` (never a subscriber id: it has '@').
OPERATOR = "@operator"
#: The longest key the operator may choose (the record's `message_id` column).
MAX_KEY_LENGTH = 128


def operator_key(key: str, method: str, path: str, message: Any) -> MessageKey:
    """The exactly-once key of the operator's `method` `path` with `message`, under `key`."""
    request = {"method": method.upper(), "path": path, "message": message}
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return MessageKey(
        sender=OPERATOR,
        message_id=key,
        digest=body_digest(canonical.encode("utf-8")),
        method=method.upper(),
        path=path,
    )
