"""`hutong keys`: make ed25519 key pairs for Beckn request signing."""

from __future__ import annotations

import json

import typer

from hutong.protocol.signing import new_key_pair

app = typer.Typer(
    help="Make ed25519 key pairs for signing Beckn requests.",
    no_args_is_help=True,
)


@app.command("new")
def new() -> None:
    """Print a fresh key pair as JSON: {"public_key": ..., "private_key": ...} (base64).

    The private key is the 32-byte seed. Keep it secret; publish the public key
    in the registry.
    """
    pair = new_key_pair()
    typer.echo(json.dumps({"public_key": pair.public_key, "private_key": pair.private_key}))
