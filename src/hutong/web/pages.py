"""Rendering the switch's HTML pages with Jinja2 (autoescaped), and where their static files are."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

__all__ = ["STATIC_DIR", "environment", "render"]

#: The dashboard's stylesheet, script and vendored chart library (served as they are).
STATIC_DIR = Path(__file__).parent / "static"


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals (display only; money stays in fen)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def stamp(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("hutong.web", "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )
    env.filters["yuan"] = yuan
    env.filters["stamp"] = stamp
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
