"""When each message id was first sent, so that a retry sends the very same bytes.

The switch does a write once per message id and recognises a retry by the
digest of its whole body, `context.timestamp` included: a retry must send
the bytes the first try sent. So for each write a command sends, the
journal keeps its message id, its timestamp and a SHA-256 of its message
(never the message: it may hold a phone number or a payer's account), in
`<journal>/<message id>.json`, readable by the key's owner only, next to the
key file unless `HUTONG_CLI_JOURNAL` says where. `--message-id X` then
rebuilds X's body with its first timestamp when the message is the same; a
different message under the same id goes out as new, and the switch refuses
it (`message_id_conflict`). Entries older than `KEEP` are dropped.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hutong.client import encode_json
from hutong.protocol.envelope import utc_timestamp

#: Builds a request's body from its message id, message and timestamp
#: (`hutong.client.Client.envelope`).
Envelope = Callable[[str, dict[str, Any], str], bytes]

#: How long a message id's first timestamp is kept for a retry.
KEEP = 7 * 24 * 3600


def folder(key_file: Path, subscriber_id: str) -> Path:
    """Where the message ids sent as `subscriber_id` are kept."""
    chosen = os.environ.get("HUTONG_CLI_JOURNAL")
    base = Path(chosen) if chosen else key_file.resolve().parent / "sent"
    return base / subscriber_id


def _file(where: Path, message_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in message_id)
    return where / f"{safe}.json"


def body_for(where: Path, message_id: str, message: dict[str, Any], envelope: Envelope) -> bytes:
    """The body to send: `message` under `message_id`, at its first timestamp if it had one.

    The rest of the context (`envelope`) must not change between tries: its
    ttl covers `KEEP`, so a retry the journal allows is not refused as expired.
    """
    digest = hashlib.sha256(encode_json(message)).hexdigest()
    kept = _file(where, message_id)
    try:
        entry = json.loads(kept.read_bytes())
        if entry["message_id"] == message_id and entry["message_sha256"] == digest:
            return envelope(message_id, message, str(entry["timestamp"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    timestamp = utc_timestamp()
    _keep(where, kept, {"message_id": message_id, "timestamp": timestamp, "message_sha256": digest})
    return envelope(message_id, message, timestamp)


def _keep(where: Path, kept: Path, entry: dict[str, str]) -> None:
    """Write the entry (owner-only), and drop entries past `KEEP`; a failure keeps nothing."""
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(encode_json(entry))
        old = time.time() - KEEP
        for other in where.glob("*.json"):
            if other.stat().st_mtime < old:
                other.unlink(missing_ok=True)
    except OSError:
        pass  # the request still goes; only a retry of it would count as new
