"""`hutong share parse`: any share code the switch made says what it opens, pay-for-me too."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner, Result

from hutong.cli.main import app
from tests.harness.cast import DOUYIN, JD_BEAUTY
from tests.harness.networks import PayNet

runner = CliRunner()


async def hutong(paynet: PayNet, *args: str) -> Result:
    settings = paynet.switch.services.settings
    env = {
        "HUTONG_DATABASE_URL": settings.database_url,
        "HUTONG_DATA_DIR": str(settings.data_dir),
        "COLUMNS": "200",
    }
    return await asyncio.to_thread(runner.invoke, app, list(args), env=env)


async def test_a_pay_for_me_share_code_names_its_request(paynet: PayNet) -> None:
    payment = await paynet.payment(DOUYIN, merchant=JD_BEAUTY, amount=19_900)
    asked = await paynet.post(
        DOUYIN, f"/v1/payments/{payment['id']}/pay-for-me", {"buyer": "buyer-secret-id-77"}
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()["request"]

    parsed = await hutong(paynet, "share", "parse", f"帮我付 {request['share_text']}")

    assert parsed.exit_code == 0, parsed.output
    assert f"pay-for-me request {request['id']}" in parsed.stdout
    assert "/p/" in parsed.stdout and "buyer-secret-id-77" not in parsed.stdout
