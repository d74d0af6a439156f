"""The spellings of a Beckn `Signature` header that other implementations send.

Pure text rules, no crypto. `hutong.protocol.signing.parse_authorization`
runs a header through these before it reads the parameters, so each variant
below means exactly the canonical header it is rewritten to:

- the whole value wrapped in one pair of double quotes, as ONDC's
  `cryptic_utils.create_authorisation_header` emits it::

      "Signature keyId="a.example|k1|ed25519",...,signature="..."" -> Signature keyId=...

- a `headers=` list without spaces, as ONDC's documents write it::

      (created)(expires)digest -> (created) (expires) digest

- a keyId without its key id part, `subscriber_id|ed25519`: the key id is
  then `CURRENT_KEY` (empty), which the verifier reads as "the subscriber's
  one key usable now" (`hutong.registry.current_key`).
"""

from __future__ import annotations

import re

__all__ = ["CURRENT_KEY", "canonical_headers", "split_key_id", "unwrap"]

#: The key id of a keyId that names none: the subscriber's key usable now.
CURRENT_KEY = ""

#: The one algorithm a two-part keyId may name (as `hutong.protocol.signing`).
ALGORITHM = "ed25519"

_COMPONENT = re.compile(r"\s*(\(created\)|\(expires\)|\(request-target\)|digest)\s*")


def unwrap(value: str) -> str:
    """The header without one pair of double quotes around all of it.

    Only a value that opens with `"Signature ` is unwrapped: a quote that
    belongs to the last parameter (`signature="..."`) is left alone.
    """
    text = value.strip()
    if len(text) > 2 and text.startswith('"') and text.endswith('"'):
        inner = text[1:-1].strip()
        if inner[:10].lower() == "signature ":
            return inner
    return text


def canonical_headers(value: str) -> str:
    """The `headers=` list with one space between components, or `value` as given.

    `(created)(expires)digest` and `(created)  (expires) digest` both read as
    `(created) (expires) digest`; anything with an unknown component is
    returned unchanged for the caller to refuse.
    """
    components: list[str] = []
    position = 0
    while position < len(value):
        match = _COMPONENT.match(value, position)
        if match is None:
            return value
        components.append(match.group(1))
        position = match.end()
    return " ".join(components)


def split_key_id(value: str) -> tuple[str, str, str] | None:
    """(subscriber_id, key_id, algorithm) of a keyId, or None if it is not one.

    `sub|key|ed25519` is the full form; `sub|ed25519` names no key
    (`CURRENT_KEY`): two parts only with the algorithm second, so
    `sub|key` (which names no algorithm) is not one. The subscriber id must
    not be empty, nor a named key id.
    """
    parts = value.split("|")
    if len(parts) == 3 and parts[0] and parts[1]:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2 and parts[0] and parts[1].lower() == ALGORITHM:
        return parts[0], CURRENT_KEY, parts[1]
    return None
