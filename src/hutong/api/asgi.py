"""The ASGI entry point for `uvicorn` workers: settings come from the environment.

Once the app has started, its objects (routes, schemas, SQLAlchemy's tables and
compiled statements, the OpenAPI document: about a million) live as long as
the process, so they are moved out of the garbage collector's reach
(`gc.freeze`). Otherwise every full collection walks them all again: about
140 ms each, once every thousand or so signed writes, which came to 0.09 ms
of CPU per request (a fifth of a signed write's) and a 140 ms stall for the
requests in flight.
"""

from __future__ import annotations

import gc
import os

from litestar import Litestar

from hutong import logs
from hutong.api.app import create_app
from hutong.config import load_settings
from hutong.runtime.services import Services
from hutong.store.db import Database


def app_factory() -> Litestar:
    settings = load_settings()
    logs.configure(os.environ.get("HUTONG_LOG_LEVEL", "info"))
    app = create_app(Services(settings=settings, db=Database.of(settings)))
    app.on_startup.append(freeze_startup_objects)
    return app


def freeze_startup_objects() -> None:
    """Collect what starting left behind, then keep every surviving object out of
    the collector's reach for the process's life (`gc.freeze`)."""
    gc.collect()
    gc.freeze()
