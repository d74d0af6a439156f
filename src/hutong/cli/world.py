"""`hutong world synth`: build a seeded synthetic world for the auditor; print its manifest."""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from hutong import logs
from hutong.world.synth import SIZES, PlantError, plan, synthesize, synthesize_locally

app = typer.Typer(help="Synthetic worlds to test the auditor against.", no_args_is_help=True)


@app.command("synth")
def synth(
    seed: Annotated[int, typer.Option(help="The world's seed: the same seed, the same world.")],
    plant: Annotated[
        list[str] | None,
        typer.Option(help="CHECK:SUBJECT, a discrimination to plant (repeatable)."),
    ] = None,
    switch_url: Annotated[
        str, typer.Option(help="Build on this switch (default: one started here on SQLite).")
    ] = "",
    operator_token: Annotated[
        str, typer.Option(envvar="HUTONG_OPERATOR_TOKEN", help="The switch's operator token.")
    ] = "",
    size: Annotated[str, typer.Option(help="small (tests) or medium (benchmarks).")] = "small",
    data_dir: Annotated[
        Path | None, typer.Option(help="Keep the local switch's SQLite database here.")
    ] = None,
) -> None:
    """Build a world through the public API and print its manifest (JSON)."""
    logs.configure("error")
    logging.getLogger("uvicorn").setLevel(logging.ERROR)
    plants = list(plant or [])
    if size not in SIZES:
        raise typer.BadParameter(f"size is one of {', '.join(SIZES)}", param_hint="--size")
    try:
        plan(seed, size, plants)
    except PlantError as exc:
        raise typer.BadParameter(str(exc), param_hint="--plant") from None
    if switch_url:
        if not operator_token:
            raise typer.BadParameter("needed with --switch-url", param_hint="--operator-token")
        manifest = asyncio.run(synthesize(switch_url, operator_token, seed, size, plants))
    else:
        with tempfile.TemporaryDirectory(prefix="hutong-synth-") as scratch:
            folder = data_dir or Path(scratch)
            manifest = asyncio.run(synthesize_locally(folder, seed, size, plants))
    typer.echo(json.dumps(manifest, ensure_ascii=False, indent=2))
    if manifest["requests"]["unexpected"]:
        raise typer.Exit(1)
