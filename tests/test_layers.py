"""The layering is a checked rule, not a convention (docs/architecture.md).

`lint-imports` runs in scripts/test.sh with the contracts in pyproject.toml;
these tests show that a forbidden import really breaks it, and that
importing a domain service loads no web framework or HTTP client.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: Modules a domain service's import must not load.
HTTP_LIBRARIES = ("litestar", "aiohttp", "httpx", "uvicorn", "typer")

DOMAIN_SERVICES = (
    "hutong.commerce",
    "hutong.payments",
    "hutong.logistics",
    "hutong.ledger",
    "hutong.links",
    "hutong.registry",
)


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The project's source and contracts, copied so that a test may break them."""
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("ledger/engine.py", "hutong.payments", "The ledger imports no business package"),
        ("protocol/signing.py", "hutong.store", "The protocol imports nothing of hutong"),
        ("registry/service.py", "litestar", "Domain packages never import the HTTP layer"),
    ],
)
def test_a_forbidden_import_breaks_the_layering_check(
    tree_copy: Path, module: str, forbidden: str, contract: str
) -> None:
    assert _lint(tree_copy).returncode == 0, "the tree must pass before it is broken"
    source = tree_copy / "src" / "hutong" / module
    source.write_text(source.read_text() + f"\nimport {forbidden}  # noqa\n")

    broken = _lint(tree_copy)

    assert broken.returncode != 0
    assert contract in broken.stdout
    assert f"-> {forbidden}" in broken.stdout


@pytest.mark.parametrize("package", DOMAIN_SERVICES)
def test_importing_a_domain_package_loads_no_web_framework_or_http_client(package: str) -> None:
    probe = (
        "import importlib, pkgutil, sys\n"
        f"root = importlib.import_module({package!r})\n"
        "for info in pkgutil.walk_packages(root.__path__, root.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        f"print(','.join(sorted(m for m in {HTTP_LIBRARIES!r} if m in sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    assert loaded == "", f"importing {package} loads {loaded}"
