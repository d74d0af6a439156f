"""`hutong sign`: make and check Beckn `Authorization: Signature ...` headers.

Machine output only goes to stdout (no markup), so the commands can be used in
shell pipelines: `make` prints the header value, `verify` prints `valid` or the
reason a signature is refused.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from hutong.protocol.signing import (
    KeyFormatError,
    SignatureError,
    Signer,
    load_verify_key,
    verify_authorization,
    verify_with_digest_header,
)

app = typer.Typer(
    help="Make and verify Beckn 1.1 request signatures (ed25519, BLAKE-512 digest).",
    no_args_is_help=True,
)

DEFAULT_LIFETIME = 300


def _read_body(body_file: str) -> bytes:
    """The exact bytes of `body_file`; `-` means standard input."""
    if body_file == "-":
        return typer.get_binary_stream("stdin").read()
    try:
        with open(body_file, "rb") as handle:
            return handle.read()
    except OSError as exc:
        typer.echo(f"cannot read body file {body_file!r}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None


@app.command("make")
def make(
    private_key: Annotated[
        str,
        typer.Option(
            "--private-key",
            help="Base64 ed25519 private key: the 32-byte seed or 64-byte seed||public.",
        ),
    ],
    subscriber: Annotated[str, typer.Option("--subscriber", help="Subscriber id of the sender.")],
    key_id: Annotated[
        str, typer.Option("--key-id", help="Unique key id registered for the subscriber.")
    ],
    body_file: Annotated[
        str, typer.Option("--body-file", help="File holding the exact request body; - for stdin.")
    ],
    created: Annotated[
        int | None,
        typer.Option("--created", help="Unix time the signature starts; default now.", min=0),
    ] = None,
    expires: Annotated[
        int | None,
        typer.Option(
            "--expires",
            help=f"Unix time the signature ends; default created+{DEFAULT_LIFETIME}.",
            min=0,
        ),
    ] = None,
) -> None:
    """Print the Authorization header value signing the body (nothing else)."""
    try:
        signer = Signer(subscriber, key_id, private_key)
    except (KeyFormatError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if created is None:
        created = int(time.time())
    if expires is None:
        expires = created + DEFAULT_LIFETIME
    if expires <= created:
        typer.echo("error: --expires must be after --created", err=True)
        raise typer.Exit(2)
    body = _read_body(body_file)
    typer.echo(signer.authorization(body, created, expires))


@app.command("verify")
def verify(
    public_key: Annotated[
        str, typer.Option("--public-key", help="Base64 ed25519 public key (32 bytes).")
    ],
    body_file: Annotated[
        str, typer.Option("--body-file", help="File holding the exact request body; - for stdin.")
    ],
    authorization: Annotated[
        str, typer.Option("--authorization", help="The Authorization header value.")
    ],
    now: Annotated[
        int | None,
        typer.Option("--now", help="Unix time to check created/expires against; default now."),
    ] = None,
    skew: Annotated[
        int,
        typer.Option("--skew", help="Clock skew tolerated, in seconds.", min=0),
    ] = 0,
    digest: Annotated[
        str | None,
        typer.Option("--digest", help='Separate Digest header value, "BLAKE-512=<base64>".'),
    ] = None,
) -> None:
    """Print `valid` (exit 0) or the reason the signature is refused (exit 1)."""
    body = _read_body(body_file)
    try:
        load_verify_key(public_key)
        verify_with_digest_header(digest, body)
        verify_authorization(
            authorization,
            body,
            public_key,
            now=int(time.time()) if now is None else now,
            skew=skew,
        )
    except KeyFormatError as exc:
        typer.echo(str(exc))
        raise typer.Exit(1) from None
    except SignatureError as exc:
        typer.echo(exc.reason)
        raise typer.Exit(1) from None
    typer.echo("valid")
