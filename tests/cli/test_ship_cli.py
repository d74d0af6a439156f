"""`hutong ship quote`: a quote no carrier can give is a refusal, not an empty table.

The command reads the switch's database (the carriers' declared services);
a refusal exits 1 with `<code>: <sentence>` on stderr.
"""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner, Result

from hutong.cli.main import app
from tests.harness.networks import Logistics

runner = CliRunner()


async def hutong(net: Logistics, *args: str) -> Result:
    settings = net.switch.services.settings
    env = {
        "HUTONG_DATABASE_URL": settings.database_url,
        "HUTONG_DATA_DIR": str(settings.data_dir),
        "COLUMNS": "200",
    }
    return await asyncio.to_thread(runner.invoke, app, list(args), env=env)


async def test_a_parcel_heavier_than_any_carrier_takes_is_refused_with_a_code(
    net: Logistics,
) -> None:
    route = ("ship", "quote", "--origin", "330106", "--destination", "310104")
    quoted = await hutong(net, *route, "--weight-g", "800")
    too_heavy = await hutong(net, *route, "--weight-g", "999999")

    assert quoted.exit_code == 0, quoted.output
    assert "jd-logistics.example" in quoted.stdout
    assert too_heavy.exit_code == 1, too_heavy.output
    assert too_heavy.stdout == ""
    assert too_heavy.stderr.startswith("no_carrier_for_weight: ")
    assert "999999 g" in too_heavy.stderr


async def test_a_region_that_does_not_exist_is_refused_with_a_code(net: Logistics) -> None:
    refused = await hutong(
        net, "ship", "quote", "--origin", "999999", "--destination", "310104", "--weight-g", "800"
    )
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.startswith("unknown_region: ")
