"""The ASGI entry point for `uvicorn` workers: settings come from the environment."""

from __future__ import annotations

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
    return create_app(Services(settings=settings, db=Database(settings.database_url)))
