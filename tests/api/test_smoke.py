from __future__ import annotations

from tests.conftest import Switch


async def test_a_registered_participant_pings_and_gets_an_ack(switch: Switch) -> None:
    client = await switch.register("douyin.example", ["platform"])
    response = await client.post("/v1/ping", {"note": "hi"})
    assert response.status_code == 200, response.text
    assert response.json()["message"]["ack"]["status"] == "ACK"
    me = await client.get("/v1/self")
    assert me.status_code == 200, me.text
    assert me.json()["subscriber_id"] == "douyin.example"
