"""Universal links and Android app links for the apps registered with the switch.

A platform's app that should open `/l/...` links itself (instead of a
browser) is registered by the operator; the switch then lists it in the two
files iOS and Android fetch from the link's domain.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
from litestar import Response, Router, get, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import delete, insert, select

from hutong.api.declare import ServicesDep, StrictBody
from hutong.api.documented import CODES, RESULT
from hutong.api.routes.operator import operator_guard
from hutong.api.routes.registry_out import AssetLinkStatement
from hutong.protocol.errors import ValidationError
from hutong.registry.service import require_participant
from hutong.runtime.services import Services
from hutong.store.tables import app_links

_IOS_APP_ID = re.compile(r"^[A-Z0-9]{10}\.[A-Za-z0-9.-]+$")
_PACKAGE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+$")
_FINGERPRINT = re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")


class AndroidApp(msgspec.Struct, kw_only=True):
    package: str
    sha256_cert_fingerprints: list[str]


class AppLinksIn(msgspec.Struct, kw_only=True):
    #: iOS app ids as TEAMID.bundle.id
    ios_app_ids: list[str] = msgspec.field(default_factory=list)
    android: list[AndroidApp] = msgspec.field(default_factory=list)


class AppsRegistered(AppLinksIn, kw_only=True):
    """The apps now registered for `subscriber_id` (they replace any registered before)."""

    subscriber_id: str


class AppLinksDetail(msgspec.Struct, kw_only=True, rename={"app_ids": "appIDs"}):
    app_ids: list[str]
    #: URL patterns the apps open (`{"/": "/l/*"}`: the switch's short links).
    components: list[dict[str, str]]


class AppLinks(msgspec.Struct, kw_only=True):
    details: list[AppLinksDetail]


class AppleAppSiteAssociation(msgspec.Struct, kw_only=True):
    """Apple's file (its fields are Apple's): every registered iOS app opens `/l/*`."""

    applinks: AppLinks


def _check(data: AppLinksIn) -> None:
    for app_id in data.ios_app_ids:
        if not _IOS_APP_ID.match(app_id):
            raise ValidationError(
                f"iOS app id {app_id!r} must be TEAMID.bundle.id (10-character team id)",
                code="invalid_app_id",
            )
    for app in data.android:
        if not _PACKAGE.match(app.package):
            raise ValidationError(
                f"{app.package!r} is not an Android package name", code="invalid_app_id"
            )
        if not app.sha256_cert_fingerprints or not all(
            _FINGERPRINT.match(f) for f in app.sha256_cert_fingerprints
        ):
            raise ValidationError(
                "sha256_cert_fingerprints are 32 upper-case hex pairs separated by ':'",
                code="invalid_fingerprint",
            )


@put(
    "/apps/{subscriber_id:str}",
    dto=StrictBody[AppLinksIn],
    return_dto=None,
    summary="Register a participant's apps for app links",
    opt={
        RESULT: AppsRegistered,
        CODES: {404: ("unknown_participant",), 422: ("invalid_app_id", "invalid_fingerprint")},
    },
)
async def register_apps(
    services: ServicesDep, subscriber_id: FromPath[str], data: JSONBody[AppLinksIn]
) -> dict[str, Any]:
    _check(data)
    async with services.db.transaction() as conn:
        await require_participant(conn, subscriber_id)
        await conn.execute(delete(app_links).where(app_links.c.subscriber_id == subscriber_id))
        await conn.execute(
            insert(app_links),
            {
                "subscriber_id": subscriber_id,
                "ios_app_ids": json.dumps(data.ios_app_ids),
                "android_packages": json.dumps(msgspec.to_builtins(data.android)),
                "updated_at": services.clock(),
            },
        )
    return {"subscriber_id": subscriber_id, **msgspec.to_builtins(data)}


operator_router = Router(
    path="/operator",
    route_handlers=[register_apps],
    guards=[operator_guard],
    tags=["operator"],
    security=[{"operatorToken": []}],
)


async def _registered(services: Services) -> list[Any]:
    async with services.db.read() as conn:
        return list(
            (await conn.execute(select(app_links).order_by(app_links.c.subscriber_id))).all()
        )


@get(
    "/.well-known/apple-app-site-association",
    tags=["links"],
    summary="iOS universal links",
    opt={RESULT: AppleAppSiteAssociation},
)
async def apple_app_site_association(services: ServicesDep) -> Response[dict[str, Any]]:
    app_ids = [a for row in await _registered(services) for a in json.loads(row.ios_app_ids)]
    body = {"applinks": {"details": [{"appIDs": app_ids, "components": [{"/": "/l/*"}]}]}}
    return Response(content=body, media_type="application/json")


@get(
    "/.well-known/assetlinks.json",
    tags=["links"],
    summary="Android app links",
    opt={RESULT: list[AssetLinkStatement]},
)
async def assetlinks(services: ServicesDep) -> list[dict[str, Any]]:
    statements = []
    for row in await _registered(services):
        for app in json.loads(row.android_packages):
            statements.append(
                {
                    "relation": ["delegate_permission/common.handle_all_urls"],
                    "target": {
                        "namespace": "android_app",
                        "package_name": app["package"],
                        "sha256_cert_fingerprints": app["sha256_cert_fingerprints"],
                    },
                }
            )
    return statements


public_handlers = [apple_app_site_association, assetlinks]
