"""Beckn's own schemas (vendored in `tests/beckn_schemas/`, core-v1.1.0) as validators.

`transaction_errors` checks a whole request or callback body (`/search`,
`/on_search`, ...) against the transaction API's bundle, `transaction.yaml`.

Formats are checked (`uuid`, `date-time`, `uri`), as a Beckn participant's
validator would. Ack.yaml's `tags` refers to TagGroup.yaml, which is not
vendored: it is read as any value (Hutong sends no tags).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

SCHEMAS = Path(__file__).parent.parent / "beckn_schemas"


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((SCHEMAS / name).read_text(encoding="utf-8"))
    return document


@cache
def _subscription() -> Any:
    components = _load("registry.yaml")["components"]
    schema = {"$ref": "#/components/schemas/Subscription", "components": components}
    return jsonschema_rs.validator_for(schema, validate_formats=True)


@cache
def _nack() -> Any:
    ack = _load("Ack.yaml")
    ack["properties"]["tags"] = {}
    schema = {
        "type": "object",
        "required": ["message", "error"],
        "properties": {
            "message": {
                "type": "object",
                "required": ["ack"],
                "properties": {"ack": {**ack, "required": ["status"]}},
            },
            "error": {**_load("Error.yaml"), "required": ["code", "message"]},
        },
    }
    return jsonschema_rs.validator_for(schema, validate_formats=True)


#: What Hutong's contexts carry beyond what Context.yaml requires (it requires
#: nothing): every field Beckn 1.1 names but `key`.
CONTEXT_REQUIRED = (
    "domain",
    "location",
    "action",
    "version",
    "bap_id",
    "bap_uri",
    "bpp_id",
    "bpp_uri",
    "transaction_id",
    "message_id",
    "timestamp",
    "ttl",
)


@cache
def _context() -> Any:
    """Context.yaml with its references (Location.yaml, Domain.yaml, …) read from the
    vendored files, every field present and `ttl` an ISO 8601 duration."""

    def retrieve(uri: str) -> Any:
        return _load(uri.split("#", 1)[0].rsplit("/", 1)[-1])

    schema = {
        "allOf": [
            {"$ref": "Context.yaml"},
            {
                "required": list(CONTEXT_REQUIRED),
                "properties": {
                    "action": {"minLength": 1},
                    "ttl": {"format": "duration"},
                    "location": {"required": ["country"]},
                },
            },
        ]
    }
    return jsonschema_rs.validator_for(
        schema,
        validate_formats=True,
        retriever=retrieve,
        base_uri="https://beckn.example/schema/root.yaml",
    )


def context_errors(context: Any) -> list[str]:
    """Why `context` is not a complete Beckn 1.1 Context with valid formats (empty when it is)."""
    return [f"{e.instance_path}: {e.message}" for e in _context().iter_errors(context)]


def subscription_errors(record: Any) -> list[str]:
    """Why `record` is not a Beckn Subscription (empty when it is one)."""
    return [f"{e.instance_path}: {e.message}" for e in _subscription().iter_errors(record)]


@cache
def _ack() -> Any:
    ack = _load("Ack.yaml")
    ack["properties"]["tags"] = {}
    schema = {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {
                "type": "object",
                "required": ["ack"],
                "properties": {"ack": {**ack, "required": ["status"]}},
            },
        },
    }
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def ack_errors(document: Any) -> list[str]:
    """Why `document` is not a Beckn ACK (empty when it is one)."""
    errors = [f"{e.instance_path}: {e.message}" for e in _ack().iter_errors(document)]
    if not errors and document["message"]["ack"]["status"] != "ACK":
        errors.append("status is not ACK")
    return errors


def error_errors(error: Any) -> list[str]:
    """Why `error` is not Beckn's Error object with a code and a message (empty when it is)."""
    schema = {**_load("Error.yaml"), "required": ["code", "message"]}
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    return [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(error)]


@cache
def _transaction_body(path: str) -> Any:
    """The request body schema of `path` in `transaction.yaml` (a self-contained bundle)."""
    document = _load("transaction.yaml")
    body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    schema = {**body["schema"], "components": document["components"], "paths": document["paths"]}
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def transaction_errors(action: str, document: Any) -> list[str]:
    """Why `document` is not the body of Beckn's `/<action>` (`on_search`, `init`, ...) as
    `transaction.yaml` has it (empty when it is)."""
    validator = _transaction_body(f"/{action}")
    return [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(document)]


def nack_errors(document: Any) -> list[str]:
    """Why `document` is not a Beckn NACK with an Error object (empty when it is one)."""
    errors = [f"{e.instance_path}: {e.message}" for e in _nack().iter_errors(document)]
    if not errors and document["message"]["ack"]["status"] != "NACK":
        errors.append("status is not NACK")
    return errors
