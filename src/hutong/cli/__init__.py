"""The `hutong` command: one Typer sub-application per module."""
