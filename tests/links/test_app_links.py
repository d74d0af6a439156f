"""Apps registered by the operator are listed in the universal-link files."""

from __future__ import annotations

from tests.harness.switch import Switch

FINGERPRINT = ":".join(["5A"] * 32)


async def test_registered_apps_appear_in_both_association_files(switch: Switch) -> None:
    await switch.register("wechat.example", ["platform"])

    response = await switch.operator.put(
        "/operator/apps/wechat.example",
        json={
            "ios_app_ids": ["ABCDE12345.com.example.wechat"],
            "android": [
                {"package": "com.example.wechat", "sha256_cert_fingerprints": [FINGERPRINT]}
            ],
        },
    )
    apple = await switch.operator.get("/.well-known/apple-app-site-association")
    android = await switch.operator.get("/.well-known/assetlinks.json")

    assert response.status_code == 200, response.text
    assert apple.headers["content-type"].startswith("application/json")
    assert apple.json() == {
        "applinks": {
            "details": [
                {"appIDs": ["ABCDE12345.com.example.wechat"], "components": [{"/": "/l/*"}]}
            ]
        }
    }
    assert android.json() == [
        {
            "relation": ["delegate_permission/common.handle_all_urls"],
            "target": {
                "namespace": "android_app",
                "package_name": "com.example.wechat",
                "sha256_cert_fingerprints": [FINGERPRINT],
            },
        }
    ]


async def test_with_no_app_registered_the_files_are_empty(switch: Switch) -> None:
    apple = await switch.operator.get("/.well-known/apple-app-site-association")
    android = await switch.operator.get("/.well-known/assetlinks.json")

    assert apple.json()["applinks"]["details"][0]["appIDs"] == []
    assert android.json() == []


async def test_malformed_app_ids_are_refused_and_nothing_is_listed(switch: Switch) -> None:
    await switch.register("douyin.example", ["platform"])

    bad_ios = await switch.operator.put(
        "/operator/apps/douyin.example", json={"ios_app_ids": ["com.example.douyin"]}
    )
    bad_print = await switch.operator.put(
        "/operator/apps/douyin.example",
        json={"android": [{"package": "com.example.douyin", "sha256_cert_fingerprints": ["ab"]}]},
    )
    unknown = await switch.operator.put("/operator/apps/nobody.example", json={})

    assert (bad_ios.status_code, bad_ios.json()["error"]["code"]) == (422, "invalid_app_id")
    assert (bad_print.status_code, bad_print.json()["error"]["code"]) == (
        422,
        "invalid_fingerprint",
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_participant")
    assert (await switch.operator.get("/.well-known/assetlinks.json")).json() == []
