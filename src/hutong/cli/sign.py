"""`hutong sign`: make and check `Authorization: Signature ...` headers.

With `--method` and `--path` the signature names the request it is for
(`(request-target)`, what the switch wants on every route but a Beckn
action); without them it is a plain Beckn 1.1 signature over the body.

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
    request_target,
    verify_authorization,
    verify_with_digest_header,
)

app = typer.Typer(
    help="Make and verify Beckn 1.1 request signatures (ed25519, BLAKE-512 digest).",
    no_args_is_help=True,
)

DEFAULT_LIFETIME = 300

MethodOption = Annotated[
    str | None,
    typer.Option(
        "--method", help="HTTP method of the request, to sign its (request-target); with --path."
    ),
]
PathOption = Annotated[
    str | None,
    typer.Option(
        "--path",
        help="Path and raw query exactly as sent, e.g. '/v1/orders?x=1'; with --method.",
    ),
]


def _target(method: str | None, path: str | None) -> str | None:
    """The `(request-target)` of --method/--path; None without both (a Beckn signature)."""
    if method is None and path is None:
        return None
    if method is None or path is None:
        typer.echo("error: give --method and --path together (or neither)", err=True)
        raise typer.Exit(2)
    try:
        return request_target(method, path)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


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
    method: MethodOption = None,
    path: PathOption = None,
) -> None:
    """Print the Authorization header value signing the body (nothing else)."""
    target = _target(method, path)
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
    typer.echo(signer.authorization(body, created, expires, target=target))


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
    method: MethodOption = None,
    path: PathOption = None,
) -> None:
    """Print `valid` (exit 0) or the reason the signature is refused (exit 1)."""
    target = _target(method, path)
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
            target=target,
        )
    except KeyFormatError as exc:
        typer.echo(str(exc))
        raise typer.Exit(1) from None
    except SignatureError as exc:
        typer.echo(exc.reason)
        raise typer.Exit(1) from None
    typer.echo("valid")
